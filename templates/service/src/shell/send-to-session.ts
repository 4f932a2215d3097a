import type { JetStreamClient } from '@nats-io/jetstream';
import { encode, type InboxCommand, type Naming } from '@signalbox/events';

/**
 * Sends a command to a session's inbox, the only way a service acts on a session: the session actor
 * applies it and records the outcome in the log. Today this publishes to `names.subjects.inbox`;
 * the runtime's `sendToSession` (next issue) replaces it.
 */
export async function sendToSession(js: JetStreamClient, names: Naming, sessionId: string, command: InboxCommand, messageId: string): Promise<void> {
  // The stream drops a second message with the same id within its duplicate window.
  await js.publish(names.subjects.inbox(sessionId), encode(command), { msgID: messageId });
}
