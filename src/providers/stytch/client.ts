/**
 * The Stytch SDK behind one shared pacer. Stytch allows 100 B2B searches a minute per project
 * (150 user searches on consumer projects), says so with a 429 whose status is in the JSON body
 * (the SDK throws StytchError with status_code 429), sends no Retry-After, and its SDK does not
 * retry. So: every call waits for the pacer; a 429 pauses the pacer (growing waits while 429s
 * repeat) and the same request is sent again; 5xx and network failures are retried with backoff
 * (searches are reads, safe to repeat); anything else becomes an ExpectedError carrying Stytch's
 * own error_type and error_message. Each 429 wait is told as it starts (the export's
 * onRateLimited: a minute of 429s must not look like a hang), and requests, 429s and the time
 * spent waiting them out are counted for the provider's stats().
 */
import { B2BClient, Client, RequestError, StytchError } from 'stytch';
import { ExpectedError } from '../../errors.js';
import { readStytchPasswordExport, type StytchPasswordExport } from '../../services/passwords/stytch.js';
import { backoffMs, Pacer, sleep } from '../../services/rate/pacer.js';
import type { SourceStats } from '../types.js';

export interface StytchConnection {
  projectId: string;
  secret: string;
  /** Base URL (STYTCH_API_URL), e.g. a fake at http://127.0.0.1:PORT/; default: Stytch's own by project id. */
  apiUrl?: string;
}

/** Does `fn` with console.warn muted: the SDK warns on every custom `env`, which is how tests point it at a fake. */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

function checkConnection(c: StytchConnection, label: string): void {
  if (!c.projectId?.trim()) {
    throw new ExpectedError(`The ${label} source needs a Stytch project id.`, 'Set STYTCH_PROJECT_ID (project-live-... or project-test-..., from the Stytch dashboard > API keys).');
  }
  if (!c.secret?.trim()) {
    throw new ExpectedError(`The ${label} source needs the project's secret.`, 'Set STYTCH_SECRET (Stytch dashboard > API keys). It is read from the environment, never stored in the journal.');
  }
  if (!/^project-(live|test)-/.test(c.projectId.trim())) {
    throw new ExpectedError(
      `"${c.projectId}" does not look like a Stytch project id.`,
      'Stytch project ids start with project-live- or project-test- (Stytch dashboard > API keys).',
    );
  }
  if (c.apiUrl !== undefined) {
    try {
      const url = new URL(c.apiUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ExpectedError(`STYTCH_API_URL is not an http(s) URL: ${c.apiUrl}.`, 'Use a full URL such as https://test.stytch.com/, or unset it.');
    }
  }
}

export function createB2BClient(c: StytchConnection): B2BClient {
  checkConnection(c, 'Stytch B2B');
  return quietly(() => new B2BClient({ project_id: c.projectId.trim(), secret: c.secret.trim(), ...(c.apiUrl ? { env: c.apiUrl } : {}) }));
}

export function createConsumerClient(c: StytchConnection): Client {
  checkConnection(c, 'Stytch');
  return quietly(() => new Client({ project_id: c.projectId.trim(), secret: c.secret.trim(), ...(c.apiUrl ? { env: c.apiUrl } : {}) }));
}

/** A Stytch call that failed for good: Stytch's reason and the next step; `status` when Stytch answered. */
export class StytchCallError extends ExpectedError {
  constructor(
    message: string,
    nextStep: string,
    readonly status?: number,
    readonly errorType?: string,
  ) {
    super(message, nextStep);
    this.name = 'StytchCallError';
  }
}

interface StytchErrorLike {
  status_code: number;
  error_type?: string;
  error_message?: string;
  request_id?: string;
}

export function asStytchError(error: unknown): StytchErrorLike | undefined {
  if (error instanceof StytchError) return error;
  const e = error as Partial<StytchErrorLike> | null;
  return e && typeof e === 'object' && typeof e.status_code === 'number' && typeof e.error_type === 'string' ? (e as StytchErrorLike) : undefined;
}

export interface CallerOptions {
  projectId: string;
  baseUrl: string;
  /** Requests per window (100 for B2B searches, 150 for consumer user search). */
  limit: number;
  windowMs: number;
  /** Tries through 5xx answers and network failures before giving up. Default 6. */
  maxAttempts?: number;
  /** What to suggest when a project of the other kind answers. */
  wrongKindHint: string;
}

export class StytchCaller {
  readonly pacer: Pacer;
  /** Requests sent (429s and retries included). */
  calls = 0;
  rateLimited = 0;
  retried = 0;
  /** Time spent waiting out 429s, ms. */
  waitedMs = 0;
  /** Told of every 429 wait as it starts: a wait of a minute must not look like a hang. */
  onRateLimited: ((waitMs: number) => void) | undefined;
  private readonly maxAttempts: number;

  constructor(private readonly options: CallerOptions) {
    this.pacer = new Pacer({ name: 'stytch', limit: options.limit, windowMs: options.windowMs });
    this.maxAttempts = options.maxAttempts ?? 6;
  }

  /** One paced request; `what` names it in messages ("search organizations"). */
  async call<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { limit, windowMs } = this.options;
    const slot = windowMs / limit;
    let limited = 0;
    let transient = 0;
    let waitingSince: number | undefined;
    for (;;) {
      try {
        await this.pacer.acquire(signal);
      } finally {
        // A 429's wait lasts until the pacer lets the request go again (or the stop).
        if (waitingSince !== undefined) this.waitedMs += performance.now() - waitingSince;
        waitingSince = undefined;
      }
      this.calls++;
      try {
        const result = await fn();
        this.pacer.onSuccess();
        return result;
      } catch (error) {
        const stytch = asStytchError(error);
        if (stytch?.status_code === 429) {
          // No Retry-After: wait a slot, doubling while 429s repeat, never more than a window.
          this.rateLimited++;
          const waitMs = Math.min(windowMs, slot * 2 ** limited++);
          this.pacer.onRateLimited(waitMs);
          waitingSince = performance.now();
          this.onRateLimited?.(waitMs);
          continue;
        }
        const isTransient = (stytch && stytch.status_code >= 500) || (!stytch && error instanceof RequestError);
        if (isTransient && ++transient < this.maxAttempts) {
          this.retried++;
          await sleep(backoffMs(transient, Math.min(250, slot), 15_000), signal);
          continue;
        }
        throw this.explain(error, what);
      }
    }
  }

  stats(): SourceStats {
    return { requests: this.calls, rateLimited: this.rateLimited, waitedMs: Math.round(this.waitedMs) };
  }

  /** Stytch's own reason, as an ExpectedError with the next step. */
  explain(error: unknown, what: string): unknown {
    const stytch = asStytchError(error);
    const { projectId, baseUrl } = this.options;
    if (stytch) {
      const reason = `${stytch.error_type ?? 'error'}: ${stytch.error_message ?? '(no message)'}`;
      const ref = stytch.request_id ? ` (request ${stytch.request_id})` : '';
      const status = stytch.status_code;
      const make = (message: string, next: string) => new StytchCallError(message, next, status, stytch.error_type);
      if (status === 401 || status === 403) {
        return make(
          `Stytch refused the credentials for ${projectId}: ${reason}${ref}`,
          'Check STYTCH_PROJECT_ID and STYTCH_SECRET (Stytch dashboard > API keys): the secret must belong to that project, and a project-test- id needs a test secret.',
        );
      }
      if (status >= 500) {
        return make(`Stytch kept failing to ${what}: ${status} ${reason}${ref}.`, 'Stytch is having trouble; resume later (workos-migrate resume): the export continues where it stopped.');
      }
      if (status === 404 || status === 400) return make(`Stytch answered ${status} to ${what}: ${reason}${ref}.`, this.options.wrongKindHint);
      return make(`Stytch answered ${status} to ${what}: ${reason}${ref}.`, 'If it persists, contact Stytch support with the request id.');
    }
    if (error instanceof RequestError) {
      return new StytchCallError(
        `Cannot reach Stytch at ${baseUrl} to ${what}: ${error.message}.`,
        'Check the network (and STYTCH_API_URL if set), then resume: the export continues where it stopped.',
      );
    }
    return error;
  }
}

/**
 * The support export, read once when first asked for (check() or export()); a failed read is
 * asked again next time, not remembered.
 */
export function passwordLoader(file: string | undefined): () => Promise<StytchPasswordExport | undefined> {
  let loading: Promise<StytchPasswordExport> | undefined;
  return () => {
    if (!file) return Promise.resolve(undefined);
    loading ??= readStytchPasswordExport(file).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** Where requests go, for messages. */
export function baseUrlOf(c: StytchConnection): string {
  if (c.apiUrl) return c.apiUrl;
  return c.projectId.startsWith('project-live-') ? 'https://api.stytch.com/' : 'https://test.stytch.com/';
}
