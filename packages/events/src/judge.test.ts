import { describe, expect, it } from 'vitest';
import { commandSubject, InboxCommand } from './commands.ts';
import { naming } from './naming.ts';
import { SupervisionConfig } from './supervision-config.ts';

const judgement = {
  type: 'judgement',
  sessionId: 's1',
  model: 'anthropic/claude-haiku-4-5',
  upTo: 12,
  verdict: 'off_track',
  reason: 'It reads the docs instead of the code.',
  evidence: [4, 8],
  usage: { inputTokens: 2_000, outputTokens: 80 },
  costUsd: 0.002,
};

describe('supervision.judge', () => {
  it('is on by naming a provider model, with every other setting optional and bounded', () => {
    expect(SupervisionConfig.parse({ judge: { model: 'anthropic/claude-haiku-4-5' } })).toEqual({ judge: { model: 'anthropic/claude-haiku-4-5' } });
    const full = { model: 'openai/gpt-4.1-mini', everySteps: 5, onFindings: false, rubric: 'Tests must pass.', maxCalls: 10, maxCostUsd: 0.5, maxTrajectoryChars: 20_000, action: 'pause', enabled: true };
    expect(SupervisionConfig.parse({ judge: full })).toEqual({ judge: full });
  });

  it('refuses a judge without a model, a scripted one, unknown fields and settings out of bounds', () => {
    const refused = [
      { everySteps: 5 },
      { model: 'scripted' },
      { model: 'anthropic/claude-haiku-4-5', every: 5 },
      { model: 'anthropic/claude-haiku-4-5', everySteps: 0 },
      { model: 'anthropic/claude-haiku-4-5', maxCalls: 1_000_000 },
      { model: 'anthropic/claude-haiku-4-5', maxCostUsd: -1 },
      { model: 'anthropic/claude-haiku-4-5', rubric: 'r'.repeat(10_001) },
      { model: 'anthropic/claude-haiku-4-5', maxTrajectoryChars: 10_000_000 },
    ];
    for (const judge of refused) expect(SupervisionConfig.safeParse({ judge }).success).toBe(false);
  });

  it('needs switchModelTo when its action switches models, as every detector does', () => {
    expect(SupervisionConfig.safeParse({ judge: { model: 'anthropic/claude-haiku-4-5', action: 'switch_model' } }).success).toBe(false);
  });
});

describe('the judgement command', () => {
  it('travels on the session’s .supervisor subject, beside interventions', () => {
    const command = InboxCommand.parse(judgement);
    expect(command).toMatchObject({ type: 'judgement', usage: { cacheReadTokens: 0, cacheWriteTokens: 0 } });
    expect(commandSubject(naming('sbx'), command)).toBe('sbx.inbox.s1.supervisor');
  });

  it('is bounded: a hostile sender cannot make the actor hold megabytes, nor count absurd costs', () => {
    const hostile = [
      { ...judgement, reason: 'r'.repeat(2_001) },
      { ...judgement, evidence: Array.from({ length: 21 }, (_, i) => i + 1) },
      { ...judgement, costUsd: 1e9 },
      { ...judgement, costUsd: -1 },
      { ...judgement, usage: { inputTokens: 1e12, outputTokens: 0 } },
      { ...judgement, upTo: 0 },
      { ...judgement, verdict: 'great' },
      { ...judgement, extra: true },
    ];
    for (const command of hostile) expect(InboxCommand.safeParse(command).success).toBe(false);
  });
});
