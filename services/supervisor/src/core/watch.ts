import type { InboxCommand, SessionEvent } from '@signalbox/events';
import { takesInterventions } from '@signalbox/session';
import { initialSupervision, ladderAction, superviseEvent, type Detector, type Finding, type SupervisionState } from '@signalbox/supervision';
import { watchStalled, type StalledEffect, type StalledWatch } from './stalled.ts';

/** One session as the supervisor watches it: its detectors' state, folded from its log. */
export interface WatchedSession {
  supervision: SupervisionState;
  /** Whether the session takes interventions: created under decider version 6 on. */
  steerable: boolean;
  /** The stalled detector's view of it, and whether its timer is armed. */
  stalled?: StalledWatch | undefined;
}

/** An intervention to send, with the message id that makes it land once: its detector and first event of evidence. */
export type SupervisorEffect = { type: 'Intervene'; sessionId: string; messageId: string; command: Extract<InboxCommand, { type: 'intervention' }> } | StalledEffect;

/** As the inbox command bounds them. */
const maxEvidence = 100;
const maxMessageChars = 2_000;

/**
 * Folds one event into its session's detectors' state (`undefined` before the session's first
 * event), and turns what they found into interventions, each climbing the agent's ladder as the same
 * finding recurs. A completed session is let go (`undefined`). A session too old to take
 * interventions is watched, but nothing is sent to it.
 */
export function watchEvent(session: WatchedSession | undefined, event: SessionEvent, detectors: readonly Detector[] = []): { session: WatchedSession | undefined; effects: SupervisorEffect[] } {
  if (event.type === 'session.completed') return { session: undefined, effects: watchStalled(session?.stalled, event, []).effects };
  const current = session ?? { supervision: initialSupervision({ detectors: [...detectors] }), steerable: false };
  const steerable = event.type === 'session.created' ? takesInterventions(event.data) : current.steerable;
  const { state, findings } = superviseEvent(current.supervision, event);
  const effects: SupervisorEffect[] = steerable ? findings.map((finding) => intervention(event.sessionId, state, finding)) : [];
  const stalled = watchStalled(current.stalled, event, state.ladder);
  return { session: { supervision: state, steerable, stalled: stalled.watch }, effects: [...effects, ...stalled.effects] };
}

function intervention(sessionId: string, state: SupervisionState, finding: Finding): SupervisorEffect {
  const { detector, reason, evidence } = finding;
  const climbed = ladderAction(state.ladder, finding);
  // The agent's config names the model whenever its ladder or a detector switches models; a nudge if it somehow does not.
  const action = climbed === 'switch_model' && state.switchModelTo === undefined ? 'nudge' : climbed;
  const model = action === 'switch_model' ? { model: state.switchModelTo } : {};
  const message = reason.length <= maxMessageChars ? reason : `${reason.slice(0, maxMessageChars - 1)}…`;
  return {
    type: 'Intervene',
    sessionId,
    messageId: `supervisor/${sessionId}/${detector}/${evidence[0] ?? 0}`,
    command: { type: 'intervention', sessionId, detector, action, message, evidence: evidence.slice(0, maxEvidence), ...model },
  };
}
