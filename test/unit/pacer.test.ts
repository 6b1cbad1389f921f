import { describe, expect, it, vi } from 'vitest';
import { Pacer } from '../../src/services/rate/pacer.js';

function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('Pacer', () => {
  // On a simulated clock: what it proves does not depend on how busy the machine is. How close the
  // real pace comes to the ceiling is measured by the benchmarks (bench/), not asserted here.
  it('never grants more than the limit in any window, and does not fall behind its own spacing', async () => {
    vi.useFakeTimers();
    try {
      const pacer = new Pacer({ name: 'writes', limit: 50, windowMs: 200, now: () => Date.now() });
      const started = Date.now();
      const times: number[] = [];
      const all = Promise.all(Array.from({ length: 300 }, () => pacer.acquire().then(() => times.push(Date.now()))));
      await vi.runAllTimersAsync();
      await all;
      expect(times).toHaveLength(300);
      expect(maxInWindow(times, 200)).toBeLessThanOrEqual(50);
      // Spaced for 46 a window (two slots spare, two for the burst): 300 grants in 300 / 46 windows,
      // not later, so timer rounding does not add up.
      expect(times[299] - started).toBeLessThanOrEqual(Math.ceil((300 / 46) * 200));
    } finally {
      vi.useRealTimers();
    }
  });

  it('pauses everyone for Retry-After after a 429, slows down, then climbs back', async () => {
    const pacer = new Pacer({ name: 'writes', limit: 100, windowMs: 100 });
    await pacer.acquire();
    const before = pacer.currentPerSecond;
    const at = performance.now();
    pacer.onRateLimited(150);
    expect(pacer.currentPerSecond).toBeLessThan(before);
    await Promise.all([pacer.acquire(), pacer.acquire()]);
    expect(performance.now() - at).toBeGreaterThanOrEqual(145);
    for (let i = 0; i < 200; i++) pacer.onSuccess();
    expect(pacer.currentPerSecond).toBeCloseTo(before, 5);
  });

  it('lets a stop signal withdraw a waiting caller', async () => {
    const pacer = new Pacer({ name: 'writes', limit: 2, windowMs: 10_000 });
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(pacer.waiting).toBe(0);
  });
});
