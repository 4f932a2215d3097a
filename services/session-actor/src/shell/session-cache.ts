import type { SessionHead } from '@signalbox/store';
import type { SessionState } from '@signalbox/session';

export interface LoadedSession {
  state: SessionState;
  head: SessionHead;
}

/**
 * Hot sessions' state, so a step does not re-read the log. A stale entry (another process wrote
 * since) is caught by the append's concurrency check, which evicts it.
 */
export class SessionCache {
  readonly #entries = new Map<string, LoadedSession>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(sessionId: string): LoadedSession | undefined {
    const entry = this.#entries.get(sessionId);
    if (entry) {
      // Re-insert so Map order is least-recently-used first.
      this.#entries.delete(sessionId);
      this.#entries.set(sessionId, entry);
    }
    return entry;
  }

  set(sessionId: string, entry: LoadedSession): void {
    this.#entries.delete(sessionId);
    if (entry.state.status === 'completed') return;
    this.#entries.set(sessionId, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(sessionId: string): void {
    this.#entries.delete(sessionId);
  }
}
