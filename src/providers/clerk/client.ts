/**
 * Clerk's Backend API over plain fetch (no Clerk SDK), one request at a time:
 *
 * - `Authorization: Bearer CLERK_SECRET_KEY`, to CLERK_API_URL (default https://api.clerk.com/v1).
 * - Paced below the instance's limit with the engine's shared pacer: Clerk allows 1000 requests
 *   per 10 s on a production instance (sk_live_ keys) and 100 per 10 s on a development one
 *   (sk_test_); Clerk sends no rate-limit headers to learn from, so `--clerk-rate` names another
 *   limit (an enterprise plan's).
 * - 429: waits for Retry-After (whole seconds), says so (onRateLimited), slows the pacer, and
 *   sends the same request again. 5xx and network failures: retried with backoff, then an
 *   ExpectedError with Clerk's own words and the next step.
 * - Errors: Clerk's body `{ errors: [{ message, long_message, code }] }` read into the message;
 *   401/403 name the key to check. The key itself never appears in a message.
 */
import { setMaxListeners } from 'node:events';
import { ExpectedError } from '../../errors.js';
import { Pacer } from '../../services/rate/pacer.js';
import { fetchFromSource, SourceCallCounts } from '../source-fetch.js';
import type { SourceStats } from '../types.js';

export const DEFAULT_API_URL = 'https://api.clerk.com/v1';

export interface ClerkConnection {
  secretKey: string;
  /** CLERK_API_URL: another endpoint (a proxy, the local fake), e.g. http://127.0.0.1:PORT/v1. */
  apiUrl?: string;
  /** Requests per window this instance allows (default from the key: see the module doc). */
  rate?: { limit: number; windowMs: number };
}

/** A Clerk call that failed for good: Clerk's reason and the next step. */
export class ClerkCallError extends ExpectedError {
  constructor(
    message: string,
    nextStep: string,
    readonly status?: number,
  ) {
    super(message, nextStep);
    this.name = 'ClerkCallError';
  }
}

/** `1000/10s`, `100/10000ms`, `50/1m` -> a limit and its window. */
export function parseRate(text: string): { limit: number; windowMs: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const unit = (m[3] ?? 's').toLowerCase();
  const windowMs = Number(m[2]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000);
  return limit >= 1 && windowMs >= 1 ? { limit, windowMs } : undefined;
}

/** The documented limit of the key's instance: production keys (sk_live_) 1000 per 10 s, others 100. */
export function defaultRate(secretKey: string): { limit: number; windowMs: number } {
  return secretKey.startsWith('sk_live_') ? { limit: 1000, windowMs: 10_000 } : { limit: 100, windowMs: 10_000 };
}

export function checkConnection(c: ClerkConnection): void {
  if (!c.secretKey?.trim()) throw new ExpectedError('The Clerk source needs the instance secret key.', 'Set CLERK_SECRET_KEY (Clerk Dashboard > API keys, sk_live_... or sk_test_...). It is read from the environment, never stored in the journal.');
  if (c.apiUrl !== undefined) {
    try {
      const url = new URL(c.apiUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ExpectedError(`CLERK_API_URL is not an http(s) URL: ${c.apiUrl}.`, 'Use a full URL such as https://api.clerk.com/v1, or unset it.');
    }
  }
}

interface ClerkErrorBody {
  errors?: { message?: string; long_message?: string; code?: string }[];
}

export class ClerkApi {
  readonly counts = new SourceCallCounts();
  onRateLimited: ((waitMs: number) => void) | undefined;
  private stop: AbortSignal | undefined;
  readonly pacer: Pacer;
  private readonly base: string;
  private readonly key: string;

  constructor(
    c: ClerkConnection,
    private readonly maxAttempts = 6,
    private readonly realFetch: typeof fetch = fetch,
  ) {
    checkConnection(c);
    this.key = c.secretKey.trim();
    this.base = (c.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    const rate = c.rate ?? defaultRate(this.key);
    this.pacer = new Pacer({ name: 'clerk', limit: rate.limit, windowMs: rate.windowMs });
  }

  /** The export's stop: waits and requests end on it. Several requests listen to it at once. */
  get signal(): AbortSignal | undefined {
    return this.stop;
  }
  set signal(signal: AbortSignal | undefined) {
    if (signal) setMaxListeners(0, signal);
    this.stop = signal;
  }

  /** GET `path` (under the API URL) with `query`; `what` names the call in messages. */
  async get<T>(path: string, query: Record<string, string | number>, what: string): Promise<T> {
    const url = new URL(`${this.base}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const res = await fetchFromSource(url.href, { headers: { Authorization: `Bearer ${this.key}`, Accept: 'application/json' } }, {
      fetch: this.realFetch,
      counts: this.counts,
      maxAttempts: this.maxAttempts,
      signal: this.signal,
      pace: () => this.pacer.acquire(this.signal),
      wait429: (answer, inARow) => {
        // Retry-After in whole seconds; without one, a growing wait.
        const retryAfter = Number(answer.headers.get('retry-after'));
        const waitMs = Math.min(120_000, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000 * 2 ** Math.min(inARow, 6));
        this.pacer.onRateLimited(waitMs);
        return waitMs;
      },
      onRateLimited: (waitMs) => this.onRateLimited?.(waitMs),
      unreachable: (error) =>
        new ClerkCallError(
          `Cannot reach Clerk at ${url.origin} to ${what}: ${error.message}.`,
          'Check the network (and CLERK_API_URL), then resume (workos-migrate resume): the export continues where it stopped.',
        ),
    });
      const text = await res.text();
    if (!res.ok) throw this.explain(res.status, text, what);
    this.pacer.onSuccess();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ClerkCallError(`Clerk answered ${what} with something that is not JSON: ${text.replace(/\s+/g, ' ').slice(0, 120)}.`, 'Check CLERK_API_URL: it should be the Backend API (https://api.clerk.com/v1).', res.status);
    }
  }

  private explain(status: number, text: string, what: string): ClerkCallError {
    let body: ClerkErrorBody | undefined;
    try {
      body = JSON.parse(text) as ClerkErrorBody;
    } catch {
      // below: the raw text, tags stripped
    }
    const first = body?.errors?.[0];
    const said = first ? [first.code, first.long_message ?? first.message].filter(Boolean).join(': ') : text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
    const reason = `${status}${said ? ` ${said}` : ''}`;
    if (status === 401 || status === 403) {
      return new ClerkCallError(
        `Clerk refused the secret key (${what}): ${reason}.`,
        'Check CLERK_SECRET_KEY: the Secret key of this instance (Clerk Dashboard > Configure > API keys; sk_live_ for production, sk_test_ for development), not the publishable key (pk_...).',
        status,
      );
    }
    if (status >= 500) return new ClerkCallError(`Clerk kept failing to ${what}: ${reason}.`, 'Clerk is having trouble; resume later (workos-migrate resume): the export continues where it stopped.', status);
    return new ClerkCallError(`Clerk answered ${reason} to ${what}.`, 'Check CLERK_API_URL (it should end in /v1); if it persists, contact Clerk support with the answer above.', status);
  }

  stats(): SourceStats {
    return this.counts.stats();
  }
}
