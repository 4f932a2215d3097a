import type { EventMeta, InboxCommand, SessionEvent } from '@signalbox/events';
import { interventionKey, rewindAt, takesInterventions, takesJudgements } from '@signalbox/session';
import { rewindOnce, startsRewindFork } from './rewind-once.ts';
import {
  initialSupervision,
  ladderAction,
  scheduleJudge,
  superviseEvent,
  unscheduled,
  type Detector,
  type Finding,
  type JudgeCall,
  type JudgeSchedule,
  type ProposedCall,
  type SupervisionState,
} from '@signalbox/supervision';
import { watchStalled, type StalledEffect, type StalledWatch } from './stalled.ts';

/** One session as the supervisor watches it: its detectors' state, folded from its log. */
export interface WatchedSession {
  supervision: SupervisionState;
  /** Whether the session takes interventions: created under decider version 6 on. */
  steerable: boolean;
  /** The last event folded (its envelope): the supervisor's gate answers once it has folded the head a request names. */
  head: EventMeta;
  /** The tool calls of the last model reply, which the gate is asked about before they are requested. */
  proposed: readonly ProposedCall[];
  /** Interventions sent that pause or end the session and are not in its log yet: the gate stops a model call on them. */
  unacted?: readonly InterventionCommand[];
  /** When its judge is due next; judged only when it records judgements (decider version 7 on), which count their cost. */
  judging?: JudgeSchedule;
  /** Whether the session is a rewind's fork, which is not rewound again (rewind-once.ts). */
  rewindFork?: boolean;
  /** The stalled detector's view of it, and whether its timer is armed. */
  stalled?: StalledWatch | undefined;
}

/** An intervention to send, with the message id that makes it land once: its detector and first event of evidence. */
type InterventionCommand = Extract<InboxCommand, { type: 'intervention' }>;

export type SupervisorEffect = { type: 'Intervene'; sessionId: string; messageId: string; command: InterventionCommand } | StalledEffect;

/** As the inbox command bounds them. */
const maxEvidence = 100;
const maxMessageChars = 2_000;

/**
 * Folds one event into its session's detectors' state (`undefined` before the session's first
 * event), and turns what they found into interventions, each climbing the agent's ladder as the same
 * finding recurs. A completed session is let go (`undefined`). A session too old to take
 * interventions is watched, but nothing is sent to it.
 */
export function watchEvent(session: WatchedSession | undefined, event: SessionEvent, detectors: readonly Detector[] = []): { session: WatchedSession | undefined; effects: SupervisorEffect[]; judge?: JudgeCall } {
  if (event.type === 'session.completed') return { session: undefined, effects: watchStalled(session?.stalled, event, []).effects };
  const current: Omit<WatchedSession, 'head'> = session ?? { supervision: initialSupervision({ detectors: [...detectors] }), steerable: false, proposed: [] };
  const steerable = event.type === 'session.created' ? takesInterventions(event.data) : current.steerable;
  const rewindFork = event.type === 'session.created' ? startsRewindFork(event) : (current.rewindFork ?? false);
  const { state, findings } = superviseEvent(current.supervision, event);
  const effects: SupervisorEffect[] = steerable ? findings.map((finding) => intervention(event.sessionId, state, finding, rewindFork)) : [];
  const stalled = watchStalled(current.stalled, event, state.ladder);
  const { type: _type, data: _data, ...head } = event;
  // A judgement costs money: asked for only of sessions that record it and count its cost (`judge`: the model call to make).
  const judgeable = event.type === 'session.created' ? takesJudgements(event.data) : current.judging !== undefined;
  const judged = judgeable ? scheduleJudge(current.judging ?? unscheduled, event, findings) : undefined;
  const unacted = unactedAfter(current.unacted ?? [], event, effects);
  const watched: WatchedSession = { supervision: state, steerable, rewindFork, head, proposed: proposedBy(event, current.proposed), unacted, stalled: stalled.watch, ...(judged ? { judging: judged.schedule } : {}) };
  return { session: watched, effects: [...effects, ...stalled.effects], ...(judged?.due ? { judge: judged.due } : {}) };
}

/** The pausing or ending interventions still on their way after `event`: those it records are let go, those just sent added. */
function unactedAfter(before: readonly InterventionCommand[], event: SessionEvent, effects: readonly SupervisorEffect[]): readonly InterventionCommand[] {
  const recorded = event.type === 'supervisor.intervened' || event.type === 'supervisor.gated' ? interventionKey(event.data.detector ?? '', event.data.evidence?.[0] ?? 0) : undefined;
  const sent = effects.flatMap((effect) => (effect.type === 'Intervene' && (effect.command.action === 'pause' || effect.command.action === 'abort') ? [effect.command] : []));
  return [...before.filter((command) => interventionKey(command.detector, command.evidence[0] ?? 0) !== recorded), ...sent];
}

/** A model reply proposes its tool calls; they stay proposed until the next reply. */
function proposedBy(event: SessionEvent, before: readonly ProposedCall[]): readonly ProposedCall[] {
  if (event.type !== 'model.responded') return before;
  return event.data.content.flatMap((block) => (block.type === 'tool_use' ? [{ callId: block.id, tool: block.name, input: block.input }] : []));
}

function intervention(sessionId: string, state: SupervisionState, finding: Finding, rewindFork: boolean): SupervisorEffect {
  const { detector, reason, evidence } = finding;
  const climbed = rewindOnce(ladderAction(state.ladder, finding), state.ladder, rewindFork);
  // The agent's config names the model whenever its ladder or a detector switches models; a nudge if it somehow does not.
  const action = climbed === 'switch_model' && state.switchModelTo === undefined ? 'nudge' : climbed;
  const model = action === 'switch_model' ? { model: state.switchModelTo } : {};
  // A rewind goes back to just before the model turn the pattern began in (the actor finds that turn's start).
  const rewind = action === 'rewind' ? { at: rewindAt(evidence) } : {};
  const message = reason.length <= maxMessageChars ? reason : `${reason.slice(0, maxMessageChars - 1)}…`;
  return {
    type: 'Intervene',
    sessionId,
    messageId: `supervisor/${sessionId}/${detector}/${evidence[0] ?? 0}`,
    command: { type: 'intervention', sessionId, detector, action, message, evidence: evidence.slice(0, maxEvidence), ...model, ...rewind },
  };
}
