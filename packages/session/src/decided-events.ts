import type { SessionEvent } from '@signalbox/events';

/** The event types the session decider records; any other (memory, subagents...) it folds past. */
export const decidedEventTypes = [
  'session.created', 'model.requested', 'model.responded', 'model.failed', 'tool.requested',
  'tool.completed', 'tool.failed', 'tool.outcome_unknown', 'budget.exceeded', 'session.paused', 'session.resumed',
  'session.completed', 'permission.granted', 'permission.denied', 'approval.requested', 'approval.resolved',
  'supervisor.intervened', 'supervisor.gated', 'supervisor.judged', 'outcome.submitted', 'outcome.graded',
  'message.received', 'turn.completed', 'session.interrupted', 'signal.received', 'context.compacted',
] as const;

export type DecidedEvent = Extract<SessionEvent, { type: (typeof decidedEventTypes)[number] }>;

export function isDecidedEvent(event: SessionEvent): event is DecidedEvent {
  return (decidedEventTypes as readonly string[]).includes(event.type);
}
