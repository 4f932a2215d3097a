import type { InterventionCommand, SessionEvent, SupervisionAction } from '@signalbox/events';
import { stalledFrom } from '@signalbox/session';
import { ladderAction, stalledSettingsOf, type StalledThresholds } from '@signalbox/supervision';

/** What the stalled detector knows of a session: whether it is running and waiting, and its timer. */
export interface StalledWatch {
  settings: StalledThresholds;
  /** Created under decider version 7 on: it takes a re-drive and head-bound interventions. */
  redrivable: boolean;
  paused: boolean;
  /** Calls held for a person's approval: a session waiting on a person has a deadline of its own, and is not stalled. */
  held: number;
  /** Stalled findings so far (re-drives not counted), for the ladder. */
  flagged: number;
  /** Whether a timer is armed, so one is cancelled only where there is one. */
  armed: boolean;
}

/**
 * Arm (or re-arm, replacing) the session's stalled timer: `command` goes to the session at `at` (ms, by
 * the event's clock), and never later than `afterMs` from when it is armed. Or cancel it.
 */
export type StalledEffect =
  | { type: 'ArmStalled'; sessionId: string; at: number; afterMs: number; command: InterventionCommand }
  | { type: 'DisarmStalled'; sessionId: string };

const detector = 'stalled';

/**
 * After each event of a running session that waits on something (a model reply, tool results, the
 * broker's verdicts), its timer is armed again, due `afterMs` after the event, bound to it as the
 * log's head: any later event makes the firing stale, so a healthy session is never touched. The
 * firing re-drives the session; if the re-drive's own event is still the head `afterMs` later, the
 * next firing flags it (the detector's action, climbing the ladder). A paused session, one waiting on
 * a person, and a completed one have no timer.
 */
export function watchStalled(watch: StalledWatch | undefined, event: SessionEvent, ladder: readonly SupervisionAction[]): { watch: StalledWatch | undefined; effects: StalledEffect[] } {
  const before = watch ?? unwatched;
  const after = observe(before, event);
  if (after === undefined) return { watch: undefined, effects: before.armed ? [{ type: 'DisarmStalled', sessionId: event.sessionId }] : [] };
  const running = after.settings.enabled && after.redrivable && !after.paused && after.held === 0;
  if (!running) return { watch: { ...after, armed: false }, effects: after.armed ? [{ type: 'DisarmStalled', sessionId: event.sessionId }] : [] };
  const command = firing(after, event, ladder);
  return { watch: { ...after, armed: true }, effects: [{ type: 'ArmStalled', sessionId: event.sessionId, at: event.at + after.settings.afterMs, afterMs: after.settings.afterMs, command }] };
}

/** Before a session's `session.created`: nothing armed, nothing redrivable. */
const unwatched: StalledWatch = { settings: stalledSettingsOf(false), redrivable: false, paused: false, held: 0, flagged: 0, armed: false };

/** The watch after `event`; `undefined` once the session completed. */
function observe(watch: StalledWatch, event: SessionEvent): StalledWatch | undefined {
  if (event.type === 'session.completed') return undefined;
  if (event.type === 'session.created') return { ...watch, settings: stalledSettingsOf(event.data.agent.supervision), redrivable: event.data.deciderVersion >= stalledFrom };
  if (event.type === 'session.paused' || event.type === 'session.resumed') return { ...watch, paused: event.type === 'session.paused' };
  if (event.type === 'approval.requested') return { ...watch, held: watch.held + 1 };
  if (event.type === 'approval.resolved') return { ...watch, held: Math.max(0, watch.held - 1) };
  const flagged = event.type === 'supervisor.intervened' && event.data.detector === detector && event.data.action !== 'redrive';
  return flagged ? { ...watch, flagged: watch.flagged + 1 } : watch;
}

/** A re-drive, bound to `event` as the head; a flag when `event` is the re-drive itself. */
function firing(watch: StalledWatch, event: SessionEvent, ladder: readonly SupervisionAction[]): InterventionCommand {
  const { afterMs, action } = watch.settings;
  const base = { type: 'intervention' as const, sessionId: event.sessionId, detector, whileHeadIs: event.n };
  const redriven = event.type === 'supervisor.intervened' && event.data.detector === detector && event.data.action === 'redrive';
  if (!redriven) {
    return { ...base, action: 'redrive', message: `the session recorded nothing for ${afterMs} ms while it waited; re-doing the work it waits on`, evidence: [event.n] };
  }
  const climbed = ladderAction(ladder, { action, occurrence: watch.flagged + 1 });
  // A model switch needs the model, which the ladder's config names for the detectors; a stall is not the model's doing.
  const flagged = climbed === 'switch_model' ? 'pause' : climbed;
  const message = `the session recorded nothing for ${afterMs} ms after it was re-driven (event ${event.data.evidence[0] ?? event.n}): it waits on something that does not answer`;
  return { ...base, action: flagged, message, evidence: [event.n, ...event.data.evidence.slice(0, 1)] };
}
