/**
 * The event subscriber's pure core: per session, the last event number it handed on, and what to do
 * with the next message of that session. A partition's consumer delivers whole sessions in stream
 * order, but a replica can still see a session mid-log (it took the partition over, or the partitions
 * stream aged out what it missed) or see an event twice (a redelivery after a crash, an event it
 * already loaded from the log). Both are recognised by the event's `n`.
 */

/** What to do with a session's event `n` that arrived from the partitions stream. */
export type Arrival =
  /** The next event: hand it on. */
  | { type: 'Deliver' }
  /** Events `fromN`..`toN` were never handed on here: read them from the log and hand them on first, then this one. */
  | { type: 'CatchUp'; fromN: number; toN: number }
  /** Already handed on (`lastN` is the last one): acknowledge it and hand nothing on. */
  | { type: 'Duplicate'; lastN: number };

/**
 * The last event number handed on, per session, for at most `capacity` sessions: the one handed an
 * event longest ago is forgotten first, and a forgotten session seen again is caught up from its
 * first event. No I/O and no clock: the shell asks it what to do and tells it what it did.
 */
export class SessionPositions {
  readonly #lastN = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  arrive(sessionId: string, n: number): Arrival {
    const lastN = this.#lastN.get(sessionId) ?? 0;
    if (n <= lastN) return { type: 'Duplicate', lastN };
    if (n === lastN + 1) return { type: 'Deliver' };
    return { type: 'CatchUp', fromN: lastN + 1, toN: n - 1 };
  }

  /** The session's events up to `n` were handed on, or dead-lettered: either way they are not offered again. */
  handedOn(sessionId: string, n: number): void {
    const lastN = Math.max(n, this.#lastN.get(sessionId) ?? 0);
    // Re-inserting moves the session to the end, so the first key is the least recently used.
    this.#lastN.delete(sessionId);
    this.#lastN.set(sessionId, lastN);
    if (this.#lastN.size > this.#capacity) {
      const oldest = this.#lastN.keys().next().value;
      if (oldest !== undefined) this.#lastN.delete(oldest);
    }
  }

  lastN(sessionId: string): number {
    return this.#lastN.get(sessionId) ?? 0;
  }
}
