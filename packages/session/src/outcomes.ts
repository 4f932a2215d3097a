import { readRubric, type EventData, type OutcomeSettings, type Rubric, type Totals } from '@signalbox/events';

/** The decider version from which a session's outcome is graded (#19). */
export const outcomesFrom = 8;

/** What a session's final answers are graded against: its outcome's settings, the rubric, and the task's input when the grader reads it. */
export interface SessionOutcome {
  settings: OutcomeSettings;
  rubric: Rubric;
  /** Only when `settings.seesInput`: nothing else of the session goes to the grader. */
  input?: string;
}

type Graded = EventData<'outcome.graded'>;

/**
 * The session's outcome, from its `session.created`: the task's, else the agent's, graded against the
 * task's rubric, else the agent's. None before decider version 8, nor with a rubric that is not one
 * (task admission refuses such a task, and an agent definition such a rubric).
 */
export function sessionOutcomeOf(created: EventData<'session.created'>): SessionOutcome | null {
  const settings = created.outcome ?? created.agent.outcome;
  if (created.deciderVersion < outcomesFrom || settings === undefined) return null;
  const read = readRubric(created.rubric ?? created.agent.rubric);
  if ('problem' in read) return null;
  return { settings, rubric: read.rubric, ...(settings.seesInput ? { input: created.input } : {}) };
}

/**
 * The session after a grade: the grader model's tokens and cost counted in its totals (which the
 * budget's `maxCostUsd` counts) and apart in `totals.grading`. A grade is no step: the grader's turn is not the agent's.
 */
export function countGrade<S extends { totals: Totals }>(state: S, graded: Graded): S {
  const { totals } = state;
  const inputTokens = graded.usage?.inputTokens ?? 0;
  const outputTokens = graded.usage?.outputTokens ?? 0;
  const grading = totals.grading ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  return {
    ...state,
    totals: {
      ...totals,
      inputTokens: totals.inputTokens + inputTokens,
      outputTokens: totals.outputTokens + outputTokens,
      costUsd: totals.costUsd + graded.costUsd,
      grading: { inputTokens: grading.inputTokens + inputTokens, outputTokens: grading.outputTokens + outputTokens, costUsd: grading.costUsd + graded.costUsd },
    },
  };
}

/** What follows a grade: the session's end (a pass, or the last attempt's fail), or another pass with `message` for the agent. */
export type GradedNext =
  | { kind: 'graded'; attempt: number; output: string; passed: boolean; score: number; changes: string[] }
  | { kind: 'retry'; message: string };

export function gradedNext(outcome: SessionOutcome, graded: Graded, output: string): GradedNext {
  const { attempt, passed, score } = graded;
  const { maxAttempts } = outcome.settings;
  if (passed || attempt >= maxAttempts) return { kind: 'graded', attempt, output, passed, score, changes: requiredChanges(graded) };
  return { kind: 'retry', message: failedGradeMessage(graded, maxAttempts) };
}

/** The changes a failed grade asks for: the grader's list, else the reasons of the criteria that failed. */
export function requiredChanges(graded: Graded): string[] {
  if (graded.changes.length > 0) return graded.changes;
  return graded.verdicts.filter((verdict) => !verdict.passed).map((verdict) => verdict.reason);
}

/** What the agent reads after a failed grade with attempts left: a function of the grade alone, so a fold rebuilds it. */
export function failedGradeMessage(graded: Graded, maxAttempts: number): string {
  const changes = requiredChanges(graded);
  const list = changes.length > 0 ? changes.map((change) => `- ${change}`) : ['- (the grader named no change)'];
  return [
    `Your answer (attempt ${graded.attempt} of ${maxAttempts}) was graded and did not pass (score ${graded.score}).`,
    'Make these changes, then give your whole answer again:',
    ...list,
  ].join('\n');
}
