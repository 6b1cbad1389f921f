/**
 * Sliding window log: remembers the time of every accepted request and accepts a new one only if
 * fewer than `limit` were accepted in the last `windowMs`. Unlike a fixed window it cannot let
 * 2 x limit through around a window boundary, so "at most N in any window" holds exactly.
 */
export class SlidingWindowLog {
  private times: number[] = [];
  private head = 0;
  /** Highest number of accepted requests seen inside any one window. */
  maxInWindow = 0;

  constructor(
    public limit: number,
    public windowMs: number,
  ) {}

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head] <= cutoff) this.head++;
    // Compact now and then instead of shifting on every request.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  /** Milliseconds until a request would be accepted; 0 if it would be accepted now. */
  waitMs(now: number): number {
    const inWindow = this.count(now);
    if (inWindow < this.limit) return 0;
    // The request that must leave the window before one more fits.
    const freeing = this.times[this.head + (inWindow - this.limit)];
    return Math.max(1, freeing + this.windowMs - now);
  }

  record(now: number): void {
    this.times.push(now);
    this.maxInWindow = Math.max(this.maxInWindow, this.count(now));
  }

  reset(): void {
    this.times = [];
    this.head = 0;
    this.maxInWindow = 0;
  }
}

/** Retry-After in seconds: whole seconds for real windows, milliseconds precision for scaled-down test windows. */
export function retryAfterSeconds(waitMs: number, windowMs: number): string {
  if (windowMs >= 1000) return String(Math.max(1, Math.ceil(waitMs / 1000)));
  return String(Math.max(1, Math.ceil(waitMs)) / 1000);
}

/** Seeded PRNG (mulberry32) so fault injection is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
