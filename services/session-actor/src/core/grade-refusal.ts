import { outcomesFrom, type ActiveState } from '@signalbox/session';

/** Why a grade for the session is kept unapplied: it grades nothing (created before outcomes, or without one). */
export function gradeRefusal(state: Pick<ActiveState, 'sessionId' | 'deciderVersion' | 'gradedBy'>): string | undefined {
  if (state.deciderVersion < outcomesFrom) {
    return `session ${state.sessionId} was created under decider version ${state.deciderVersion}, which grades no outcome (${outcomesFrom} on does); it is unchanged`;
  }
  if (state.gradedBy === null) return `session ${state.sessionId} has no outcome to grade (neither its task nor its agent set one); it is unchanged`;
  return undefined;
}
