/**
 * Two kinds of errors (after Shopify's cli-kit): an ExpectedError is the operator's to fix and
 * carries the next step; anything else is a bug and shows its stack only with --debug.
 */
export class ExpectedError extends Error {
  constructor(
    message: string,
    readonly nextStep?: string,
  ) {
    super(message);
    this.name = 'ExpectedError';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ExpectedError) return error.nextStep ? `${error.message} ${error.nextStep}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
