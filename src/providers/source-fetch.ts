/**
 * One HTTP call to a source's API, tried until it has an answer worth returning. The same loop
 * for every source read over plain fetch (Clerk, and Auth0 under its SDK):
 *
 * - Each try is paced first (`pace`: a pacer slot, a bucket's token) and has 60 s for its answer's
 *   headers (a large file then streams as long as it takes; the caller's stop ends it anyway).
 * - 429: the source's own wait (`wait429`, which also slows its pace), said at once
 *   (`onRateLimited`), then the same request again.
 * - 5xx and network failures: retried with backoff up to `maxAttempts`; then a 5xx is returned
 *   (the caller reads its reason) and an unreachable source is `unreachable`'s error.
 * - `counts` adds up every request, retry, 429 and wait: the run's summary says the source's own figures.
 */
import { backoffMs, sleep } from '../services/rate/pacer.js';
import type { SourceStats } from './types.js';

export class SourceCallCounts {
  calls = 0;
  retried = 0;
  rateLimited = 0;
  waitedMs = 0;

  stats(): SourceStats {
    return { requests: this.calls, rateLimited: this.rateLimited, waitedMs: Math.round(this.waitedMs) };
  }
}

export interface SourceFetch {
  fetch: typeof fetch;
  counts: SourceCallCounts;
  maxAttempts: number;
  signal?: AbortSignal;
  /** Before each try: wait for the pace. */
  pace?: () => Promise<void>;
  /** Each answer, whatever its status (rate-limit headers to learn from). */
  answered?: (res: Response) => void;
  /** How long to wait after this 429 (`inARow`: 429s before it for this request), slowing the pace. */
  wait429: (res: Response, inARow: number) => number;
  onRateLimited?: (waitMs: number) => void;
  /** The error once every try failed to reach the source. */
  unreachable: (error: Error) => Error;
}

export async function fetchFromSource(url: string, init: RequestInit, s: SourceFetch): Promise<Response> {
  let transient = 0;
  let limited = 0;
  const backoff = () => sleep(backoffMs(transient, 250, 10_000), s.signal);
  for (;;) {
    await s.pace?.();
    if (s.signal?.aborted) throw s.signal.reason ?? new Error('stopped');
    s.counts.calls++;
    let res: Response;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('no answer within 60 s')), 60_000);
    try {
      res = await s.fetch(url, { ...init, signal: AbortSignal.any([timeout.signal, ...(s.signal ? [s.signal] : [])]) });
    } catch (error) {
      if (s.signal?.aborted) throw error;
      if (++transient < s.maxAttempts) {
        s.counts.retried++;
        await backoff();
        continue;
      }
      throw s.unreachable(error as Error);
    } finally {
      clearTimeout(timer);
    }
    s.answered?.(res);
    if (res.status === 429) {
      s.counts.rateLimited++;
      const waitMs = s.wait429(res, limited++);
      await res.body?.cancel();
      s.onRateLimited?.(waitMs);
      const started = performance.now();
      try {
        await sleep(waitMs, s.signal);
      } finally {
        s.counts.waitedMs += performance.now() - started;
      }
      continue;
    }
    if (res.status >= 500 && ++transient < s.maxAttempts) {
      s.counts.retried++;
      await res.body?.cancel();
      await backoff();
      continue;
    }
    return res;
  }
}
