import type { JudgeVerdict, NewEvent, Usage } from '@signalbox/events';
import { nothing, type Decision } from './next-step.ts';
import type { ActiveState } from './state.ts';

/** A supervisor's judge's verdict on the session up to event `upTo`, and what the judge cost (decider version 7 on). */
export interface Judgement {
  model: string;
  upTo: number;
  verdict: JudgeVerdict;
  reason: string;
  evidence: number[];
  usage: Usage;
  costUsd: number;
}

/** The decider version from which sessions record their judge's verdicts and count its cost. */
export const judgementsFrom = 7;

/** Whether the session takes a judge's verdicts: created under decider version 7 on. */
export function takesJudgements(state: Pick<ActiveState, 'deciderVersion'>): boolean {
  return state.deciderVersion >= judgementsFrom;
}

/**
 * Records a judgement, once per event it judged up to: a supervisor that crashed after sending it, or
 * two replicas that judged the same point, are counted once. The verdict steers nothing here: an
 * off-track one comes back from the supervisor as an intervention of its `judge` detector, up its ladder.
 */
export function recordJudgement(state: ActiveState, judgement: Judgement): Decision {
  if (!takesJudgements(state) || state.judgements.includes(judgement.upTo)) return nothing;
  const { model, upTo, verdict, reason, evidence, usage, costUsd } = judgement;
  return { events: [{ type: 'supervisor.judged', data: { model, upTo, verdict, reason, evidence, usage, costUsd } } satisfies NewEvent], effects: [] };
}
