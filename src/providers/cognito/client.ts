/**
 * The official Cognito client (@aws-sdk/client-cognito-identity-provider) behind one call of ours
 * that paces, retries and explains:
 *
 * - Credentials are handed to the SDK from the run's environment (AWS_ACCESS_KEY_ID,
 *   AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): it never looks for a profile on disk, and nothing of
 *   them is written anywhere. COGNITO_ENDPOINT sends the calls elsewhere (a local fake).
 * - Pacing to Cognito's request-rate quotas (https://docs.aws.amazon.com/cognito/latest/developerguide/limits.html):
 *   ListUsers and ListUsersInGroup are the UserList category, 30 requests a second for the whole
 *   account and region and not adjustable; ListGroups (UserPoolResourceRead) at most 5 a second
 *   per pool; DescribeUserPool (UserPoolRead) 15. Each category is one shared Pacer.
 * - TooManyRequestsException (HTTP 400; Cognito sends no Retry-After): the category waits with
 *   backoff, slows down, says so (onRateLimited) and sends the same request again. 5xx and network
 *   failures: retried with backoff. The SDK's own retries are off (they would sleep unannounced).
 */
import { CognitoIdentityProviderClient, CognitoIdentityProviderServiceException } from '@aws-sdk/client-cognito-identity-provider';
import { ExpectedError } from '../../errors.js';
import { backoffMs, Pacer, sleep } from '../../services/rate/pacer.js';
import type { SourceStats } from '../types.js';
import { checkConnection, type CognitoConnection } from './connection.js';

export type { CognitoConnection } from './connection.js';


/** Requests a second per quota category (Cognito's defaults). */
export interface CognitoRates {
  userList: number;
  listGroups: number;
  poolRead: number;
}

export const COGNITO_RATES: CognitoRates = { userList: 30, listGroups: 5, poolRead: 15 };

export type CognitoCategory = keyof CognitoRates;

/** A Cognito call that failed for good: Cognito's reason and the next step. */
export class CognitoCallError extends ExpectedError {
  constructor(
    message: string,
    nextStep: string,
    readonly code?: string,
    /** Cognito's own words, for a message that quotes them. */
    readonly said?: string,
  ) {
    super(message, nextStep);
    this.name = 'CognitoCallError';
  }
}

const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout']);

export class CognitoCaller {
  calls = 0;
  rateLimited = 0;
  retried = 0;
  waitedMs = 0;
  onRateLimited: ((waitMs: number) => void) | undefined;
  /** The export's stop: waits end on it. */
  signal: AbortSignal | undefined;
  readonly client: CognitoIdentityProviderClient;
  readonly pacers: Record<CognitoCategory, Pacer>;

  constructor(
    readonly c: CognitoConnection,
    rates: Partial<CognitoRates> = {},
    private readonly maxAttempts = 6,
  ) {
    checkConnection(c);
    const r = { ...COGNITO_RATES, ...rates };
    this.pacers = {
      userList: new Pacer({ name: 'cognito UserList', limit: r.userList, windowMs: 1000 }),
      listGroups: new Pacer({ name: 'cognito ListGroups', limit: r.listGroups, windowMs: 1000 }),
      poolRead: new Pacer({ name: 'cognito UserPoolRead', limit: r.poolRead, windowMs: 1000 }),
    };
    // The SDK warns once per process about Node versions it will drop in 2027: on stderr, over the wizard.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new CognitoIdentityProviderClient({
      region: c.region,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      credentials: { accessKeyId: c.accessKeyId.trim(), secretAccessKey: c.secretAccessKey.trim(), ...(c.sessionToken ? { sessionToken: c.sessionToken.trim() } : {}) },
      maxAttempts: 1,
    });
  }

  /** One SDK call paced to its category, with Cognito's throttling and transient failures handled. */
  async send<T>(category: CognitoCategory, what: string, call: (client: CognitoIdentityProviderClient, abortSignal?: AbortSignal) => Promise<T>): Promise<T> {
    const pacer = this.pacers[category];
    let transient = 0;
    let limited = 0;
    for (;;) {
      await pacer.acquire(this.signal);
      this.calls++;
      try {
        const result = await call(this.client, this.signal);
        pacer.onSuccess();
        return result;
      } catch (error) {
        if (this.signal?.aborted) throw this.signal.reason ?? error;
        const name = (error as { name?: string }).name ?? '';
        const code = (error as { code?: string }).code ?? '';
        if (name === 'TooManyRequestsException' || name === 'ThrottlingException') {
          this.rateLimited++;
          // No Retry-After from Cognito: a growing wait, the category slowed for everyone.
          const waitMs = Math.round(Math.min(30_000, 500 * 2 ** Math.min(limited++, 6)) * (0.75 + Math.random() * 0.5));
          pacer.onRateLimited(waitMs);
          this.onRateLimited?.(waitMs);
          const started = performance.now();
          try {
            await sleep(waitMs, this.signal);
          } finally {
            this.waitedMs += performance.now() - started;
          }
          continue;
        }
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const serverFault = (error as { $fault?: string }).$fault === 'server' || (status !== undefined && status >= 500);
        const network = !(error instanceof CognitoIdentityProviderServiceException) && (TRANSIENT_NETWORK.has(code) || TRANSIENT_NETWORK.has(name));
        if ((serverFault || network) && ++transient < this.maxAttempts) {
          this.retried++;
          await sleep(backoffMs(transient, 250, 10_000), this.signal);
          continue;
        }
        throw this.explain(error, what);
      }
    }
  }

  stats(): SourceStats {
    return { requests: this.calls, rateLimited: this.rateLimited, waitedMs: Math.round(this.waitedMs) };
  }

  /** Cognito's own reason, as an ExpectedError with the next step. */
  explain(error: unknown, what: string): unknown {
    if (error instanceof CognitoCallError || error instanceof ExpectedError) return error;
    const name = (error as { name?: string }).name ?? 'Error';
    const said = ((error as { message?: string }).message ?? '').slice(0, 300);
    const pool = this.c.userPoolId;
    const credentials = 'Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials): the key pair of an IAM user or role in the account that owns the pool.';
    switch (name) {
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
        return new CognitoCallError(`AWS does not know the access key (${what}): ${said}`, credentials, name);
      case 'InvalidSignatureException':
      case 'SignatureDoesNotMatch':
        return new CognitoCallError(
          /expired/i.test(said) ? `AWS refused the request as signed too long ago (${what}): ${said}` : `AWS refused the secret access key (${what}): ${said}`,
          /expired/i.test(said) ? "Check this machine's clock (it must be within 5 minutes of the real time), then try again." : credentials,
          name,
        );
      case 'ExpiredTokenException':
        return new CognitoCallError(`The temporary AWS credentials have expired (${what}).`, 'Get new ones (aws sts / SSO login), export them, then resume (workos-migrate resume): the export goes on where it stopped.', name);
      case 'AccessDeniedException':
      case 'NotAuthorizedException':
        return new CognitoCallError(
          `AWS refused to ${what}: ${said}`,
          'Allow the IAM user or role cognito-idp:ListUsers, cognito-idp:ListGroups, cognito-idp:ListUsersInGroup and cognito-idp:DescribeUserPool on the pool, then try again.',
          name,
        );
      case 'ResourceNotFoundException':
        return new CognitoCallError(
          `Cognito has no user pool ${pool} in ${this.c.region} (${what}): ${said}`,
          'Check --cognito-user-pool (copy the id from the Cognito console) and AWS_REGION (the pool id starts with its region), and that the credentials belong to the account that owns the pool.',
          name,
        );
      case 'InvalidParameterException':
        return new CognitoCallError(`Cognito refused a parameter to ${what}: ${said}`, 'If it persists, start a new migration (a new --journal).', name, said);
    }
    const code = (error as { code?: string }).code;
    if (code && TRANSIENT_NETWORK.has(code)) {
      return new CognitoCallError(
        `Cannot reach Cognito${this.c.endpoint ? ` at ${this.c.endpoint}` : ` in ${this.c.region}`}: ${said || code}.`,
        'Check the network (and AWS_REGION / COGNITO_ENDPOINT), then resume (workos-migrate resume): the export goes on where it stopped.',
        code,
      );
    }
    if (error instanceof CognitoIdentityProviderServiceException) {
      return new CognitoCallError(
        `Cognito answered ${name} to ${what}: ${said}`,
        error.$fault === 'server' ? 'Cognito is having trouble: resume later (workos-migrate resume); the export goes on where it stopped.' : 'If it persists, check the pool in the Cognito console or ask AWS support.',
        name,
      );
    }
    return error;
  }
}
