/**
 * Per-session state for at most `capacity` sessions: the one handed an event longest ago is let go
 * first, so a replica's memory stays bounded however many sessions are abandoned mid-run. What is let
 * go can be rebuilt (the supervisor folds the session's log again). No I/O.
 */
export class BoundedSessions<T> {
  readonly #sessions = new Map<string, T>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a session capacity is a whole number of at least 1, not ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The session's state, now the most recently used. */
  get(sessionId: string): T | undefined {
    const state = this.#sessions.get(sessionId);
    if (state !== undefined) this.set(sessionId, state);
    return state;
  }

  /** Keeps `state`, letting go of the least recently used session when over capacity. */
  set(sessionId: string, state: T): void {
    // Re-inserting moves the session to the end, so the first key is the least recently used.
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, state);
    if (this.#sessions.size > this.#capacity) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  delete(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }
}
