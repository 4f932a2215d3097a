import type { SessionEvent } from '@signalbox/events';
import type { SessionState } from '@signalbox/session';
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
    return this.#bySession.get(sessionId) ?? this.#remember(sessionId, this.#read(sessionId));
  }

  /**
   * What a session's state already says: one that is not a hermetic fork has no recording, so its
   * calls need not read its first event to find that out (a read and a decode a session, otherwise).
   */
  know(state: SessionState): void {
    if (state.status === 'new' || state.forkedFrom?.hermetic || this.#bySession.has(state.sessionId)) return;
    void this.#remember(state.sessionId, Promise.resolve(undefined));
  }

  #remember(sessionId: string, recording: Promise<readonly SessionEvent[] | undefined>): Promise<readonly SessionEvent[] | undefined> {
    recording.catch(() => this.#bySession.delete(sessionId));
    if (this.#bySession.size >= remembered) this.#bySession.delete(this.#bySession.keys().next().value ?? '');
    this.#bySession.set(sessionId, recording);
    return recording;
  }

  async #read(sessionId: string): Promise<readonly SessionEvent[] | undefined> {
    const created = await this.#store.first(sessionId);
    const origin = created?.type === 'session.created' ? created.data.forkedFrom : undefined;
    if (!origin?.hermetic) return undefined;
    return this.#store.read(origin.sessionId);
  }
}
