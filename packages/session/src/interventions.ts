import type { InterventionAction, NewEvent } from '@signalbox/events';
import { completed, nothing, type Decision } from './next-step.ts';
import { rewind, type RewindTarget } from './rewind.ts';
import { isStale, redrive } from './stalled.ts';
import { interventionKey, type ActiveState } from './state.ts';
import { takesConversations } from './conversations.ts';

/** A supervisor's intervention, as the session takes it (decider version 6 on). */
export interface Intervention {
  detector: string;
  action: InterventionAction;
  /** Why, in a sentence: a nudge's is what the model reads next. */
  reason: string;
  /** The events that made the detector fire, the first where the pattern began. */
  evidence: number[];
  /** The model to go on with, for `switch_model`. */
  model?: string | undefined;
  /** Where a `rewind` goes back to (decider version 7 on; rewind.ts). */
  rewind?: RewindTarget | undefined;
  /** Applies only while the log's head is this event (version 7 on; stalled.ts). */
  whileHeadIs?: number | undefined;
}

/** The decider version from which sessions take a supervisor's interventions. */
export const interventionsFrom = 6;

/** Whether the session takes a supervisor's interventions (decider version 6 on). */
export function takesInterventions(state: Pick<ActiveState, 'deciderVersion'>): boolean {
  return state.deciderVersion >= interventionsFrom;
}

/**
 * Records an intervention with what it does: a nudge or a model switch alone (the next model request
 * carries it), a pause with the `session.paused` it asks for, an abort with the session's end. One
 * already recorded (the same detector, from the same first event of evidence) records nothing: a
 * supervisor that crashed and sent it again, or two replicas that both saw the pattern, intervene once.
 */
export function intervene(state: ActiveState, intervention: Intervention): Decision {
  const { detector, action, reason, evidence, model } = intervention;
  if (!takesInterventions(state) || state.interventions.includes(interventionKey(detector, evidence[0] ?? 0))) return nothing;
  if (isStale(state, intervention.whileHeadIs)) return nothing;
  if (action === 'compact' && !takesConversations(state)) return nothing;
  const intervened: NewEvent = { type: 'supervisor.intervened', data: { detector, action, reason, evidence, ...(model === undefined ? {} : { model }) } };
  switch (action) {
    case 'nudge':
    case 'switch_model':
    case 'compact': // the next model call waits for a compaction (decider version 9 on)
      return { events: [intervened], effects: [] };
    case 'pause': {
      const paused: NewEvent = { type: 'session.paused', data: { reason: `the supervisor's ${detector} detector: ${reason}`, by: `supervisor:${detector}` } };
      return { events: state.paused ? [intervened] : [intervened, paused], effects: [] };
    }
    case 'abort':
      return { events: [intervened, completed(state, 'aborted', { reason: `aborted by the supervisor's ${detector} detector: ${reason}` })], effects: [] };
    case 'rewind':
      return rewind(state, intervention);
    case 'redrive':
      return redrive(state, intervened);
  }
}
