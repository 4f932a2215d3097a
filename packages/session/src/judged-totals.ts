import type { EventData } from '@signalbox/events';
import type { ActiveState } from './state.ts';

/**
 * The session after a judgement: remembered by what it judged up to, and its tokens and cost added to
 * the session's totals, which the budget's `maxCostUsd` counts. It is no step: a judge's turn is not the agent's.
 */
export function countJudgement<S extends ActiveState>(state: S, judged: EventData<'supervisor.judged'>): S {
  const { totals } = state;
  const spent = {
    inputTokens: totals.inputTokens + judged.usage.inputTokens,
    outputTokens: totals.outputTokens + judged.usage.outputTokens,
    costUsd: totals.costUsd + judged.costUsd,
  };
  return { ...state, judgements: [...state.judgements, judged.upTo], totals: { ...totals, ...spent } };
}
