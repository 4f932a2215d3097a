import type { SessionEvent } from '@signalbox/events';
import type { EventStore } from '@signalbox/store';

/**
 * Hands every event of every session's log to `onEvent`, from the start of the log, until `signal`
 * aborts. Today this is `EventStore.tailAll`, an ordered consumer each replica reads whole.
 * The runtime's durable event subscriber (next issue: it resumes from its own position and shares
 * sessions between replicas) replaces it; a service reads the log through nothing else.
 */
export async function followLog(store: EventStore, signal: AbortSignal, onEvent: (event: SessionEvent) => void): Promise<void> {
  for await (const event of store.tailAll({ signal })) onEvent(event);
}
