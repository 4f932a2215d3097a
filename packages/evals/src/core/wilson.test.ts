import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson.ts';

describe('the Wilson interval', () => {
  it('matches published values', () => {
    // 8 of 10: 0.490 to 0.943 (Wilson 1927; any statistics table).
    const eight = wilsonInterval(8, 10);
    expect(eight.low).toBeCloseTo(0.4902, 3);
    expect(eight.high).toBeCloseTo(0.9433, 3);
    const half = wilsonInterval(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 3);
    expect(half.high).toBeCloseTo(0.5962, 3);
  });

  it('is not zero-width at none or all, and stays in [0, 1]', () => {
    expect(wilsonInterval(0, 5)).toEqual({ low: 0, high: expect.closeTo(0.4345, 3) });
    expect(wilsonInterval(5, 5)).toEqual({ low: expect.closeTo(0.5655, 3), high: 1 });
  });

  it('knows nothing from no trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });
});
