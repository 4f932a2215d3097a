import { describe, expect, it } from 'vitest';
import { needsArming, nextFiring, scheduledJob } from './dream-schedule.ts';

const hour = 3_600_000;

describe("a store's consolidation schedule", () => {
  it('fires next one step on, keeping its phase, and once however late the firing was handled', () => {
    expect(nextFiring(10 * hour, hour, 10 * hour + 5)).toBe(11 * hour);
    expect(nextFiring(10 * hour, hour, 13 * hour + 5)).toBe(14 * hour);
  });

  it('asks one job per firing: its id comes from the store and the time the timer was set for', () => {
    expect(scheduledJob({ store: 'team', at: 42 })).toEqual({ jobId: 'schedule:team:42', store: 'team', by: 'schedule' });
  });

  it('arms a store with no timer, and one set further ahead than its schedule now allows; never pushes an armed one back', () => {
    expect(needsArming(undefined, hour, 0)).toBe(true);
    expect(needsArming({ store: 'team', at: 30 * 60_000 }, hour, 0)).toBe(false);
    expect(needsArming({ store: 'team', at: 2 * hour }, hour, 0)).toBe(true);
  });
});
