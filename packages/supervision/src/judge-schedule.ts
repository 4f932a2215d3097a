import type { JudgeSettings, SessionEvent, SupervisionConfig } from '@signalbox/events';
import type { Finding } from './detector.ts';

/** An agent's judge with its defaults filled in. */
export interface JudgePlan {
  model: string;
  everySteps: number;
  onFindings: boolean;
  /** The agent's own rubric for the judge; else the session's, else the built-in one. */
  rubric: string | undefined;
  maxCalls: number;
  maxCostUsd: number | undefined;
  maxTrajectoryChars: number;
}

export const judgeDefaults = { everySteps: 10, onFindings: true, maxCalls: 20, maxTrajectoryChars: 40_000 } as const;

/**
 * When a session is judged next, folded from its log. Only judgements the log records count: one
 * asked for and never recorded (its call failed, timed out, or the supervisor crashed) leaves the
 * judgement due, so the next trigger asks again.
 */
export interface JudgeSchedule {
  plan: JudgePlan | undefined;
  /** Model turns answered so far, and when the last judgement was recorded. */
  turns: number;
  judgedAtTurn: number;
  /** Judgements recorded, and what they cost. */
  calls: number;
  spentUsd: number;
  /** The last event a recorded judgement read up to: nothing at or before it is judged again. */
  judgedUpTo: number;
}

/** A judgement to ask the judge's model for: the session read up to event `upTo`. */
export interface JudgeCall {
  plan: JudgePlan;
  upTo: number;
  /** What prompted it: the turns since the last, or other detectors' findings (their reasons, for the judge to weigh). */
  trigger: { kind: 'steps' } | { kind: 'findings'; reasons: string[] };
}

export const unscheduled: JudgeSchedule = { plan: undefined, turns: 0, judgedAtTurn: 0, calls: 0, spentUsd: 0, judgedUpTo: 0 };

/** The agent's judge, when its `supervision.judge` names a model and is not turned off. */
export function judgePlanOf(config: SupervisionConfig | undefined): JudgePlan | undefined {
  const settings: JudgeSettings | undefined = config === false ? undefined : config?.judge;
  if (settings === undefined || settings.enabled === false) return undefined;
  return {
    model: settings.model,
    everySteps: settings.everySteps ?? judgeDefaults.everySteps,
    onFindings: settings.onFindings ?? judgeDefaults.onFindings,
    rubric: settings.rubric,
    maxCalls: settings.maxCalls ?? judgeDefaults.maxCalls,
    maxCostUsd: settings.maxCostUsd,
    maxTrajectoryChars: settings.maxTrajectoryChars ?? judgeDefaults.maxTrajectoryChars,
  };
}

/**
 * The schedule after `event`, and a judgement due at it: at the start of a model turn once
 * `everySteps` turns have passed since the last judgement (the turn before it complete, its results
 * in), or at any event where another detector found something. Never past the judge's caps.
 */
export function scheduleJudge(schedule: JudgeSchedule, event: SessionEvent, findings: readonly Finding[]): { schedule: JudgeSchedule; due: JudgeCall | undefined } {
  const next = evolveSchedule(schedule, event);
  const { plan } = next;
  if (plan === undefined || !withinCaps(next, plan) || event.n <= next.judgedUpTo) return { schedule: next, due: undefined };
  const reasons = findings.filter((finding) => finding.detector !== 'judge').map((finding) => finding.reason);
  if (plan.onFindings && reasons.length > 0) return { schedule: next, due: { plan, upTo: event.n, trigger: { kind: 'findings', reasons } } };
  const turnStarts = event.type === 'model.requested' && event.data.attempt === 1;
  if (turnStarts && next.turns - next.judgedAtTurn >= plan.everySteps) return { schedule: next, due: { plan, upTo: event.n, trigger: { kind: 'steps' } } };
  return { schedule: next, due: undefined };
}

function evolveSchedule(schedule: JudgeSchedule, event: SessionEvent): JudgeSchedule {
  if (event.type === 'session.created') return { ...unscheduled, plan: judgePlanOf(event.data.agent.supervision) };
  if (event.type === 'model.responded') return { ...schedule, turns: schedule.turns + 1 };
  if (event.type !== 'supervisor.judged') return schedule;
  const { costUsd, upTo } = event.data;
  return { ...schedule, judgedAtTurn: schedule.turns, calls: schedule.calls + 1, spentUsd: schedule.spentUsd + costUsd, judgedUpTo: Math.max(schedule.judgedUpTo, upTo) };
}

function withinCaps(schedule: JudgeSchedule, plan: JudgePlan): boolean {
  return schedule.calls < plan.maxCalls && (plan.maxCostUsd === undefined || schedule.spentUsd < plan.maxCostUsd);
}
