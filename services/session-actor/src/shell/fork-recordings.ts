import type { SessionEvent } from '@signalbox/events';
import type { EventStore } from '@signalbox/store';

const remembered = 1_000;

/**
 * The original's events for each hermetic fork, read once per session and kept (a bounded number):
 * every model and tool call of a session asks, and most sessions are not forks.
 */
export class ForkRecordings {
  readonly #store: EventStore;
  readonly #bySession = new Map<string, Promise<readonly SessionEvent[] | undefined>>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The log a hermetic fork answers from, or undefined when the session is not one. */
  of(sessionId: string): Promise<readonly SessionEvent[] | undefined> {
    let recording = this.#bySession.get(sessionId);
    if (!recording) {
      recording = this.#read(sessionId);
      recording.catch(() => this.#bySession.delete(sessionId));
      if (this.#bySession.size >= remembered) this.#bySession.delete(this.#bySession.keys().next().value ?? '');
      this.#bySession.set(sessionId, recording);
    }
    return recording;
  }

  async #read(sessionId: string): Promise<readonly SessionEvent[] | undefined> {
    const created = await this.#store.first(sessionId);
    const origin = created?.type === 'session.created' ? created.data.forkedFrom : undefined;
    if (!origin?.hermetic) return undefined;
    return this.#store.read(origin.sessionId);
  }
}
