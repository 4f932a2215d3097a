import type { SessionEvent } from '@signalbox/events';
import { memoryFrom } from './memory.ts';
import { delegationFrom } from './delegation.ts';
import { structuredOutputFrom } from './structured-output.ts';

/** The event types the session decider records; any other (subagents...) it folds past. */
export const decidedEventTypes = [
  'session.created', 'model.requested', 'model.responded', 'model.failed', 'tool.requested',
  'tool.completed', 'tool.failed', 'tool.outcome_unknown', 'budget.exceeded', 'session.paused', 'session.resumed',
  'session.completed', 'permission.granted', 'permission.denied', 'approval.requested', 'approval.resolved',
  'supervisor.intervened', 'supervisor.gated', 'supervisor.judged', 'outcome.submitted', 'outcome.graded',
  'message.received', 'turn.completed', 'session.interrupted', 'signal.received', 'context.compacted',
  'memory.loaded', 'subagent.spawned', 'subagent.completed', 'output.rejected',
] as const;

export type DecidedEvent = Extract<SessionEvent, { type: (typeof decidedEventTypes)[number] }>;

export function isDecidedEvent(event: SessionEvent): event is DecidedEvent {
  return (decidedEventTypes as readonly string[]).includes(event.type);
}

/**
 * Whether a session created under `deciderVersion` records `event` by its decider: `memory.loaded`
 * only from version 10, the subagent events from 11 and `output.rejected` from 12, before which the decider folded past them.
 */
export function isDecidedUnder(deciderVersion: number, event: SessionEvent): event is DecidedEvent {
  if (!isDecidedEvent(event)) return false;
  if (event.type === 'memory.loaded') return deciderVersion >= memoryFrom;
  if (event.type === 'subagent.spawned' || event.type === 'subagent.completed') return deciderVersion >= delegationFrom;
  if (event.type === 'output.rejected') return deciderVersion >= structuredOutputFrom;
  return true;
}
