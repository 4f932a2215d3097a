import { describe, expect, it } from 'vitest';
import { counterfactualScores, supervisionWithout } from './counterfactual.ts';
import { fork, nudge, run } from './spec.ts';

describe('turning the intervening detector off for the fork', () => {
  it('turns off a built-in detector and keeps its settings and everything else', () => {
    expect(supervisionWithout({ repetition: { repeats: 4 }, ladder: ['abort'] }, 'repetition')).toEqual({ repetition: { repeats: 4, enabled: false }, ladder: ['abort'] });
    expect(supervisionWithout(undefined, 'error_spiral')).toEqual({ error_spiral: { enabled: false } });
    expect(supervisionWithout({ judge: { model: 'anthropic/claude-x' } }, 'judge')).toEqual({ judge: { model: 'anthropic/claude-x', enabled: false } });
  });

  it('turns off a detector defined in TypeScript under detectors, and leaves supervision that is off, off', () => {
    expect(supervisionWithout({ detectors: { 'team.rule': { threshold: 3 } } }, 'team.rule')).toEqual({ detectors: { 'team.rule': { threshold: 3, enabled: false } } });
    expect(supervisionWithout(false, 'repetition')).toBe(false);
  });
});

describe('scoring interventions against their forks', () => {
  it('counts where the run with it succeeded and the fork without it failed (helped) and the reverse (hurt)', () => {
    const runs = [
      run({ sessionId: 'a', success: true, costUsd: 0.5, interventions: [nudge(10)] }),
      run({ sessionId: 'b', success: false, costUsd: 0.2, interventions: [nudge(12, 'repetition', { steps: 3, seconds: 4 })] }),
      run({ sessionId: 'c', success: true, costUsd: 0.3, interventions: [{ ...nudge(8, 'waste'), action: 'abort' }] }),
      run({ sessionId: 'quiet', success: true }),
    ];
    const forks = [
      fork('a', 10, { success: false, costUsd: 1.1, costAtForkUsd: 0.1 }),
      fork('a', 10, { success: false, costUsd: 0.9, costAtForkUsd: 0.1 }),
      fork('b', 12, { success: true, costUsd: 0.4, costAtForkUsd: 0.1 }),
      fork('c', 8, { success: true, costUsd: 0.3, costAtForkUsd: 0.3 }),
      fork('a', 99, { success: true }),
    ];
    const [repetition, waste, ...none] = counterfactualScores(runs, forks);
    expect(none).toEqual([]);
    expect(repetition).toMatchObject({ detector: 'repetition', action: 'nudge', interventions: 2, forks: 3, helped: 2, hurt: 1, bothSucceeded: 0, bothFailed: 0, meanStepsToIntervene: 2, meanSecondsToIntervene: 3 });
    // Recovery: what the runs spent after the fork point (0.4, 0.4, 0.1); failure: what the failed forks spent after it (1.0, 0.8).
    expect(repetition?.meanRecoveryCostUsd).toBeCloseTo(0.3);
    expect(repetition?.meanFailureCostUsd).toBeCloseTo(0.9);
    expect(waste).toMatchObject({ detector: 'waste', action: 'abort', forks: 1, helped: 0, hurt: 0, bothSucceeded: 1, meanFailureCostUsd: undefined });
  });

  it('scores an intervention no fork was made of, with no forks', () => {
    expect(counterfactualScores([run({ sessionId: 'a', interventions: [nudge(10)] })], [])).toEqual([
      expect.objectContaining({ interventions: 1, forks: 0, helped: 0, hurt: 0, meanRecoveryCostUsd: 0, meanFailureCostUsd: undefined }),
    ]);
  });
});
