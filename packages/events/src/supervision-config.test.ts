import { describe, expect, it } from 'vitest';
import { SupervisionConfig } from './supervision-config.ts';

describe('an agent’s supervision config', () => {
  it('takes false, the defaults, or thresholds and actions per detector', () => {
    expect(SupervisionConfig.parse(false)).toBe(false);
    expect(SupervisionConfig.parse({})).toEqual({});
    expect(SupervisionConfig.safeParse({ repetition: { repeats: 4, action: 'pause' }, ladder: ['nudge', 'abort'] }).success).toBe(true);
  });

  it('switches models only to the model it names', () => {
    const switching = { ladder: ['nudge', 'switch_model', 'pause'] };
    expect(SupervisionConfig.safeParse({ ...switching, switchModelTo: 'anthropic/claude-opus-4-5' }).success).toBe(true);
    const unnamed = SupervisionConfig.safeParse(switching);
    expect(unnamed.error?.issues[0]).toMatchObject({ path: ['switchModelTo'], message: expect.stringMatching(/needs switchModelTo/) });
    expect(SupervisionConfig.safeParse({ error_spiral: { action: 'switch_model' } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ detectors: { mine: { action: 'switch_model' } } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ switchModelTo: 'not a model' }).success).toBe(false);
  });

  it('refuses an unknown detector setting or action, so a typo is caught when the agent is read', () => {
    expect(SupervisionConfig.safeParse({ repetiton: {} }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ ladder: ['scold'] }).success).toBe(false);
  });
});
