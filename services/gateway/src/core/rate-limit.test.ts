import { describe, expect, it } from 'vitest';
import { isFull, takeToken, type RateDecision, type TokenBucket } from './rate-limit.ts';

const settings = { perSecond: 2, burst: 3 };

/** Takes `count` tokens at `now`, one after the other. */
function takeMany(bucket: TokenBucket | undefined, now: number, count: number): RateDecision[] {
  const decisions: RateDecision[] = [];
  for (let i = 0; i < count; i++) {
    const decision = takeToken(bucket, now, settings);
    decisions.push(decision);
    bucket = decision.bucket;
  }
  return decisions;
}

describe('the token bucket', () => {
  it('lets a burst through at once, then refuses with how long to wait', () => {
    const decisions = takeMany(undefined, 0, 4);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the rate: half a second gives one more request at 2 a second', () => {
    const drained = takeMany(undefined, 0, 3).at(-1)!.bucket;
    expect(takeToken(drained, 499, settings).allowed).toBe(false);
    expect(takeToken(drained, 500, settings).allowed).toBe(true);
  });

  it('never fills past the burst, however long it waited', () => {
    const drained = takeMany(undefined, 0, 3).at(-1)!.bucket;
    expect(takeMany(drained, 3_600_000, 4).map((d) => d.allowed)).toEqual([true, true, true, false]);
  });

  it('says to wait longer when the rate is slow', () => {
    const slow = { perSecond: 0.1, burst: 1 };
    const first = takeToken(undefined, 0, slow);
    expect(takeToken(first.bucket, 0, slow)).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
  });

  it('knows a bucket that has refilled, which may be forgotten', () => {
    const drained = takeMany(undefined, 0, 3).at(-1)!.bucket;
    expect(isFull(drained, 1_000, settings)).toBe(false);
    expect(isFull(drained, 1_500, settings)).toBe(true);
  });
});
