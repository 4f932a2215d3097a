import type { GradeJob, NewEvent } from '@signalbox/events';
import { outcomesFrom } from './outcomes.ts';
import type { ActiveState } from './state.ts';

type AwaitingGrade = Extract<ActiveState, { status: 'awaiting_grade' }>;

/** Whether the session's final answers are graded: created under decider version 8 on, with an outcome. */
export function takesGrades(state: Pick<ActiveState, 'deciderVersion' | 'gradedBy'>): boolean {
  return state.deciderVersion >= outcomesFrom && state.gradedBy !== null;
}

/** The final answer as the next attempt, with the outcome's files at the run's latest workspace revision. */
export function submitted(state: ActiveState, output: string): NewEvent {
  const revision = state.workspaceRevision === null ? {} : { revision: state.workspaceRevision };
  const files = (state.gradedBy?.settings.files ?? []).map((path) => ({ path, ...revision }));
  return { type: 'outcome.submitted', data: { attempt: state.submitted + 1, output, files } };
}

/**
 * The grader's work for the attempt the session waits on: the output, its files, the rubric and the
 * outcome's settings, and the task's input only when the outcome lets the grader see it. Nothing of
 * the conversation (system prompt, tool results, earlier turns) goes with it.
 */
export function gradeJob(state: AwaitingGrade): GradeJob {
  const outcome = state.gradedBy;
  if (!outcome) throw new Error(`session ${state.sessionId} waits for a grade but has no outcome`);
  const { sessionId, correlationId, attempt, output, files } = state;
  const input = outcome.input === undefined ? {} : { input: outcome.input };
  return { sessionId, correlationId, attempt, output, files, rubric: outcome.rubric, outcome: outcome.settings, model: outcome.settings.model ?? state.agent.model, ...input };
}
