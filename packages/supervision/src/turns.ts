import type { SessionEvent } from '@signalbox/events';

/**
 * Whether `event` closes the model turn before it: the next request to the model, or the session's
 * end. The detectors that judge whole turns (a turn's parallel calls are one attempt) judge them here,
 * before the next step is taken.
 */
export function closesTurn(event: SessionEvent): boolean {
  return event.type === 'model.requested' || event.type === 'session.completed';
}

/** Whether a `model.responded` asked for tools (a reply without any ends the session or waits for the user). */
export function asksForTools(event: Extract<SessionEvent, { type: 'model.responded' }>): boolean {
  return event.data.content.some((block) => block.type === 'tool_use');
}
