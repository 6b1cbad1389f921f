import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/services/events.js';

describe('RateMeter', () => {
  it('measures the recent rate from sparse samples, however often it is asked', () => {
    const meter = new RateMeter(5_000, 0);
    // 100 per second for 10 s, asked after every record (the importer's hot path).
    for (let i = 1; i <= 1_000; i++) {
      meter.add();
      meter.perSecond(i * 10);
    }
    // Then 20 per second for 6 s: the 5 s window sees only the slower rate.
    for (let i = 1; i <= 120; i++) {
      meter.add();
      meter.perSecond(10_000 + i * 50);
    }
    expect(meter.perSecond(16_000)).toBeCloseTo(20, 0);
    expect((meter as unknown as { samples: unknown[] }).samples.length).toBeLessThanOrEqual(52);
  });
});
