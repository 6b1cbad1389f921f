/**
 * A shared pacer for one rate-limit bucket (GCRA: evenly spaced grants with a small burst
 * allowance). Spacing is chosen so that no sliding window of `windowMs` ever holds more than
 * `limit` grants: the server's ceiling is approached, never crossed. A 429 pauses every caller
 * for `Retry-After` and lowers the rate; successes climb it back (AIMD).
 */
export interface PacerOptions {
  name: string;
  limit: number;
  windowMs: number;
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const DECREASE = 0.7;
const FLOOR = 0.05;
const INCREASE = 0.02;

export class Pacer {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Grants allowed back to back; the spacing leaves room for them inside the window. */
  private readonly burst: number;
  private readonly minInterval: number;
  private rate: number;
  private readonly maxRate: number;
  private tat = 0;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  granted = 0;
  rateLimited = 0;

  constructor(options: PacerOptions) {
    this.name = options.name;
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.now = options.now ?? (() => performance.now());
    // A little slack lets a late timer catch up instead of losing its slot.
    // Never more than a handful back to back, however large the window: no visible bursts.
    this.burst = Math.min(4, Math.max(2, Math.floor(options.limit * 0.008)), Math.max(0, options.limit - 3));
    // Any window sees at most ceil(W / T + burst) grants: spacing for limit - 2 keeps one slot
    // spare for rounding and one for network jitter.
    this.minInterval = options.windowMs / Math.max(1, options.limit - this.burst - 2);
    this.maxRate = 1 / this.minInterval;
    this.rate = this.maxRate;
  }

  /** Requests per second this bucket allows, as the server counts it. */
  get ceilingPerSecond(): number {
    return (this.limit * 1000) / this.windowMs;
  }

  /** Requests per second the pacer currently grants. */
  get currentPerSecond(): number {
    return this.rate * 1000;
  }

  get waiting(): number {
    return this.queue.length;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** The server said 429: everyone waits `retryAfterMs`, then goes on more slowly. */
  onRateLimited(retryAfterMs: number): void {
    this.rateLimited++;
    const now = this.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    this.rate = Math.max(this.maxRate * FLOOR, this.rate * DECREASE);
    this.reschedule();
  }

  onSuccess(): void {
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate + this.maxRate * INCREASE);
  }

  private reschedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
  }

  private pump(): void {
    if (this.timer) return;
    const interval = 1 / this.rate;
    const tolerance = this.burst * interval;
    while (this.queue.length) {
      const now = this.now();
      if (now < this.pausedUntil) return this.schedule(this.pausedUntil - now);
      const tat = Math.max(this.tat, now);
      if (tat - now > tolerance) return this.schedule(tat - now - tolerance);
      this.tat = tat + interval;
      const waiter = this.queue.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.granted++;
      waiter.resolve();
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(delayMs)));
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 15_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}
