/**
 * The `auth0` SDK (ManagementClient, client credentials, its token refreshed by the SDK when it
 * nears expiry) behind one fetch of ours, which every request goes through (token included):
 *
 * - AUTH0_API_URL: `https://DOMAIN/...` is sent to that endpoint instead (a proxy, a local fake).
 * - Pacing to the tenant's own limits: each answer's x-ratelimit-limit / -remaining / -reset is
 *   kept per endpoint bucket. A request goes when the bucket still has a token by that account;
 *   otherwise it waits for one. The refill rate is learnt from the headers, always from below
 *   (reset is in whole seconds and remaining is rounded down), so the estimate never runs ahead
 *   of the tenant.
 * - 429: waits for Retry-After (else x-ratelimit-reset), says so (onRateLimited), halves the
 *   learnt rate, and sends the same request again. 5xx (an HTML body included) and network
 *   failures: retried with backoff, then returned to the SDK, which throws.
 * - The SDK's own retries are off (they would sleep without telling anyone).
 */
import { ManagementClient, ManagementError } from 'auth0';
import { ExpectedError } from '../../errors.js';
import { sleep } from '../../services/rate/pacer.js';
import { fetchFromSource, SourceCallCounts } from '../source-fetch.js';
import type { SourceStats } from '../types.js';

export interface Auth0Connection {
  /** The tenant's domain, e.g. `acme.eu.auth0.com`. */
  domain: string;
  clientId: string;
  clientSecret: string;
  /** Where requests go instead of https://DOMAIN (AUTH0_API_URL), e.g. http://127.0.0.1:PORT. */
  apiUrl?: string;
}

/** An Auth0 call that failed for good: Auth0's reason and the next step. */
export class Auth0CallError extends ExpectedError {
  constructor(
    message: string,
    nextStep: string,
    readonly status?: number,
  ) {
    super(message, nextStep);
    this.name = 'Auth0CallError';
  }
}

interface Bucket {
  limit: number;
  /** Tokens the tenant said were left, at `at` (ms, when the answer came). */
  remaining: number;
  at: number;
  /** Learnt refill rate, tokens per ms (a lower bound); 0 until known. */
  rate: number;
  /** Requests sent since `at` (not yet accounted for by an answer). */
  sent: number;
  /** No request before this time (a 429's wait). */
  notBefore: number;
}

/** Default pace for an endpoint whose answers carry no rate-limit headers: 2 requests a second. */
const DEFAULT_INTERVAL_MS = 500;

/** The endpoint bucket of a path: ids replaced, so `/organizations/org_1/members` and `/organizations/org_2/members` share one. */
const WORDS = new Set(['api', 'v2', 'jobs', 'users-exports', 'organizations', 'members', 'roles', 'enabled_connections', 'users']);

export function bucketOf(method: string, pathname: string): string {
  return `${method.toUpperCase()} /${pathname.split('/').filter(Boolean).map((p) => (WORDS.has(p) ? p : ':id')).join('/')}`;
}

export class Auth0Caller {
  readonly counts = new SourceCallCounts();
  /** Requests that went out with the bucket already empty by the tenant's own count (should stay 0). */
  overLimit = 0;
  onRateLimited: ((waitMs: number) => void) | undefined;
  /** The export's stop: waits end on it. */
  signal: AbortSignal | undefined;
  readonly buckets = new Map<string, Bucket>();
  private readonly base: URL | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lastSent = -Infinity;

  constructor(
    private readonly c: Auth0Connection,
    private readonly maxAttempts = 6,
    private readonly realFetch: typeof fetch = fetch,
  ) {
    this.base = c.apiUrl ? new URL(c.apiUrl) : undefined;
  }

  /** The fetch handed to the SDK (and used for the export file). Requests are sent one at a time. */
  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const run = this.chain.then(() => this.send(input, init));
    this.chain = run.catch(() => undefined);
    return run;
  };

  /** `https://DOMAIN/...` sent to AUTH0_API_URL instead. */
  rewrite(url: string): string {
    if (!this.base) return url;
    const u = new URL(url);
    if (u.host.toLowerCase() !== this.c.domain.toLowerCase()) return url;
    const prefix = this.base.pathname.replace(/\/+$/, '');
    return `${this.base.origin}${prefix}${u.pathname}${u.search}`;
  }

  private async waitForToken(key: string): Promise<void> {
    const b = this.buckets.get(key);
    const now = Date.now();
    let wait = 0;
    if (!b) {
      // Nothing known yet (the first request of an endpoint): go.
    } else {
      if (b.notBefore > now) wait = b.notBefore - now;
      else if (b.rate > 0) {
        const have = Math.min(b.limit, b.remaining - b.sent + b.rate * (now - b.at));
        if (have < 1) wait = Math.ceil((1 - have) / b.rate);
      } else if (b.remaining - b.sent < 1) wait = DEFAULT_INTERVAL_MS;
    }
    if (wait > 0) await sleep(wait, this.signal);
    const after = this.buckets.get(key);
    if (after) {
      // By the tenant's last word, was there a token? (for the bench's "never over").
      const have = after.rate > 0 ? Math.min(after.limit, after.remaining - after.sent + after.rate * (Date.now() - after.at)) : after.remaining - after.sent;
      if (have < 0.999 && after.notBefore <= Date.now() && after.rate > 0) this.overLimit++;
      after.sent++;
    }
  }

  private learn(key: string, res: Response, sentAt: number): void {
    const limit = Number(res.headers.get('x-ratelimit-limit'));
    const remaining = Number(res.headers.get('x-ratelimit-remaining'));
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const now = Date.now();
    if (!res.headers.has('x-ratelimit-limit') || !Number.isFinite(limit) || !Number.isFinite(remaining) || limit <= 0) {
      // No headers (a proxy that strips them): one request every DEFAULT_INTERVAL_MS.
      const old = this.buckets.get(key);
      this.buckets.set(key, { limit: 1, remaining: 0, at: now, rate: 1 / DEFAULT_INTERVAL_MS, sent: 0, notBefore: old?.notBefore ?? 0 });
      return;
    }
    const old = this.buckets.get(key);
    let rate = old?.rate ?? 0;
    const untilFull = reset * 1000 - sentAt;
    const deficit = limit - remaining - 1;
    // A lower bound of the refill rate: at least `deficit` tokens come back by `reset` (counted from the send).
    if (Number.isFinite(reset) && untilFull > 0 && deficit >= 1) rate = Math.max(rate, deficit / untilFull);
    this.buckets.set(key, { limit, remaining, at: now, rate, sent: 0, notBefore: old?.notBefore ?? 0 });
  }

  private async send(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const original = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = this.rewrite(original);
    const parsed = new URL(url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const key = parsed.pathname.endsWith('/oauth/token') ? 'token' : parsed.pathname.includes('/api/v2/') ? bucketOf(method, parsed.pathname) : 'download';
    let sentAt = 0;
    // The SDK's signal carries its own timeout, started before our wait: ours instead, and only
    // until the answer's headers (a large export file takes minutes to stream).
    return fetchFromSource(url, init ?? {}, {
      fetch: this.realFetch,
      counts: this.counts,
      maxAttempts: this.maxAttempts,
      signal: this.signal,
      pace: async () => {
        if (key !== 'download') await this.waitForToken(key);
        sentAt = Date.now();
        this.lastSent = sentAt;
      },
      answered: (res) => {
        if (key !== 'download') this.learn(key, res, sentAt);
      },
      wait429: (res, inARow) => {
        const retryAfter = Number(res.headers.get('retry-after'));
        const reset = Number(res.headers.get('x-ratelimit-reset'));
        let waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Number.isFinite(reset) && reset > 0 ? reset * 1000 - Date.now() : 0;
        waitMs = Math.min(60_000, Math.max(waitMs, 100 * 2 ** Math.min(inARow, 8)));
        const b = this.buckets.get(key);
        if (b) {
          b.notBefore = Date.now() + waitMs;
          b.rate /= 2;
          b.remaining = 0;
          b.sent = 0;
          b.at = Date.now() + waitMs;
        }
        return waitMs;
      },
      onRateLimited: (waitMs) => this.onRateLimited?.(waitMs),
      unreachable: (error) =>
        new Auth0CallError(
          `Cannot reach Auth0 at ${parsed.origin}: ${error.message}.`,
          'Check the network (and AUTH0_DOMAIN / AUTH0_API_URL), then resume (workos-migrate resume): the export continues where it stopped.',
        ),
    });
  }

  stats(): SourceStats {
    return this.counts.stats();
  }

  /** Auth0's own reason, as an ExpectedError with the next step. */
  explain(error: unknown, what: string): unknown {
    if (error instanceof Auth0CallError) return error;
    if (error instanceof ManagementError) {
      const status = error.statusCode;
      const body = error.body as { message?: string; error?: string; error_description?: string; errorCode?: string } | string | undefined;
      const said =
        typeof body === 'string'
          ? body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160)
          : [body?.error, body?.error_description ?? body?.message].filter(Boolean).join(': ');
      const reason = `${status ?? ''} ${said || error.message}`.trim();
      if (status === 401 || status === 403 || /token request failed/.test(error.message)) {
        return new Auth0CallError(
          `Auth0 refused the credentials for ${this.c.domain} (${what}): ${reason}.`,
          'Check AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET: a Machine-to-Machine application authorized for the Management API, with the scopes read:users, read:roles, read:organizations, read:organization_members, read:organization_member_roles and read:organization_connections.',
          status,
        );
      }
      if (status !== undefined && status >= 500) {
        return new Auth0CallError(`Auth0 kept failing to ${what}: ${reason}.`, 'Auth0 is having trouble; resume later (workos-migrate resume): the export continues where it stopped.', status);
      }
      return new Auth0CallError(`Auth0 answered ${reason} to ${what}.`, 'If it persists, check the tenant in the Auth0 dashboard (logs) or contact Auth0 support.', status);
    }
    return error;
  }
}

export function checkConnection(c: Auth0Connection): void {
  if (!c.domain?.trim()) throw new ExpectedError('The Auth0 source needs the tenant domain.', 'Set AUTH0_DOMAIN (e.g. acme.us.auth0.com, Auth0 dashboard > Applications > your M2M application).');
  if (/[/?#]|^https?:/i.test(c.domain.trim())) {
    throw new ExpectedError(`AUTH0_DOMAIN should be a bare host name, not "${c.domain}".`, 'Write it as acme.us.auth0.com (no https://, no path).');
  }
  if (!c.clientId?.trim()) throw new ExpectedError('The Auth0 source needs a client id.', 'Set AUTH0_CLIENT_ID (a Machine-to-Machine application authorized for the Management API).');
  if (!c.clientSecret?.trim()) throw new ExpectedError('The Auth0 source needs the client secret.', 'Set AUTH0_CLIENT_SECRET. It is read from the environment, never stored in the journal.');
  if (c.apiUrl !== undefined) {
    try {
      const url = new URL(c.apiUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ExpectedError(`AUTH0_API_URL is not an http(s) URL: ${c.apiUrl}.`, 'Use a full URL such as http://127.0.0.1:4200, or unset it.');
    }
  }
}

export function createManagement(c: Auth0Connection, caller: Auth0Caller): ManagementClient {
  checkConnection(c);
  return new ManagementClient({
    domain: c.domain.trim(),
    clientId: c.clientId.trim(),
    clientSecret: c.clientSecret.trim(),
    fetch: caller.fetch,
    maxRetries: 0,
    timeoutInSeconds: 600,
  });
}
