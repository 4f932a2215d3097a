import type { EventData, NewEvent } from '@signalbox/events';
import { nothing, recordThenContinue, type Decision } from './next-step.ts';
import type { ActiveState } from './state.ts';
import { takesGrades } from './submission.ts';

/** The grader's grade of an attempt, as `outcome.graded` records it (decider version 8 on). */
export type Grade = EventData<'outcome.graded'>;

/**
 * Records the grade of the attempt the session waits on, and what follows from it (state.ts
 * `recordGrade`, next-step.ts `gradedEnd`): the next pass, or the session's end, once not paused.
 * Any other grade (of another attempt, or delivered again after it was recorded) records nothing.
 * A grade with a problem pauses the session, which waits for the same attempt's grade: a resume
 * sends the job again. The same problem delivered again while that pause holds records nothing.
 */
export function recordGrade(state: ActiveState, grade: Grade): Decision {
  if (!takesGrades(state) || state.status !== 'awaiting_grade' || state.attempt !== grade.attempt) return nothing;
  const graded: NewEvent = { type: 'outcome.graded', data: grade };
  if (grade.problem === undefined) return recordThenContinue(state, graded);
  if (state.paused?.by === graderPause) return nothing;
  const paused: NewEvent = { type: 'session.paused', data: { reason: `the grader could not grade attempt ${grade.attempt}: ${grade.problem}`, by: graderPause } };
  return { events: state.paused ? [graded] : [graded, paused], effects: [] };
}

/** Who a grader's problem pauses the session as. */
export const graderPause = 'grader';
