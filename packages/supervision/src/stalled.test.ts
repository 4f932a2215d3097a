import { SupervisionConfig } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { stalledDefaults, stalledSettingsOf } from './stalled.ts';

describe('the stalled detector’s settings', () => {
  it('given no supervision: on, ten minutes, then a pause', () => {
    expect(stalledSettingsOf(undefined)).toEqual({ enabled: true, afterMs: 600_000, action: 'pause' });
    expect(stalledSettingsOf({})).toEqual(stalledDefaults);
  });

  it('given supervision: false, or stalled turned off: off', () => {
    expect(stalledSettingsOf(false).enabled).toBe(false);
    expect(stalledSettingsOf({ stalled: { enabled: false } }).enabled).toBe(false);
  });

  it('given a time and an action: those, the rest as by default', () => {
    expect(stalledSettingsOf({ stalled: { afterMs: 90_000, action: 'abort' } })).toEqual({ enabled: true, afterMs: 90_000, action: 'abort' });
  });

  it('refuses a time under a second or over a week, and a redrive as the action (the re-drive comes first by itself)', () => {
    expect(SupervisionConfig.safeParse({ stalled: { afterMs: 10 } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ stalled: { afterMs: 8 * 24 * 3_600_000 } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ stalled: { action: 'redrive' } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ stalled: { afterMs: 1_000, surprise: true } }).success).toBe(false);
  });
});
