import { describe, expect, it } from 'vitest';
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
  it('never grants more than the limit in any window, and runs close to it', async () => {
    const pacer = new Pacer({ name: 'writes', limit: 50, windowMs: 200 });
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: 300 }, () => pacer.acquire().then(() => times.push(performance.now()))));
    const elapsed = performance.now() - started;
    expect(maxInWindow(times, 200)).toBeLessThanOrEqual(50);
    // 300 grants at 250/s take ~1.2 s; with so small a limit the safety slots cost ~8%.
    const ratio = (300 / elapsed) * 1000 / pacer.ceilingPerSecond;
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThanOrEqual(1.01);
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
