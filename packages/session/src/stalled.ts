import type { NewEvent } from '@signalbox/events';
import { nextStep, nothing, outstandingWork, placeholderMeta, type Decision } from './next-step.ts';
import { evolve, type ActiveState } from './state.ts';

/** The decider version from which an intervention may be bound to the log's head, and a stalled session re-driven. */
export const stalledFrom = 7;

/**
 * Whether an intervention bound to the log's head (`whileHeadIs`) came too late: the session recorded
 * something since the supervisor's timer was armed, so it is not stalled. Versions before 7 ignore the binding.
 */
export function isStale(state: ActiveState, whileHeadIs: number | undefined): boolean {
  return state.deciderVersion >= stalledFrom && whileHeadIs !== undefined && whileHeadIs !== state.n;
}

/**
 * Records the re-drive, then re-does what the session waits on, as a pick-up after a crash does: the
 * model called again, its waiting tool calls dispatched again with their idempotency keys and grants
 * (an executor that finished one answers with its recorded result). A paused session waits for its
 * resume, not for a re-drive; versions before 7 take none.
 */
export function redrive(state: ActiveState, intervened: NewEvent): Decision {
  if (state.deciderVersion < stalledFrom || state.paused || state.status === 'completed') return nothing;
  const after = evolve(state, { ...intervened, ...placeholderMeta(state.sessionId, state.correlationId, state.n + 1) });
  if (after.status === 'new' || after.status === 'completed') return { events: [intervened], effects: [] };
  const rest = after.status === 'deciding' ? nextStep(after) : outstandingWork(after);
  return { events: [intervened, ...rest.events], effects: rest.effects };
}
