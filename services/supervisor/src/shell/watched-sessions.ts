import { BoundedSessions } from '../core/bounded-sessions.ts';
import type { WatchedSession } from '../core/watch.ts';

interface Waiter {
  n: number;
  done: () => void;
}

/**
 * The sessions this replica watches, as folded so far (at most `capacity`: the one handed an event
 * longest ago is let go, and rebuilt from its log when its next event comes), and the gate requests
 * waiting for one to be folded further: a request names the session's head, and is answered once the
 * log has been folded that far (or, past its wait, not at all).
 */
export class WatchedSessions {
  readonly #sessions: BoundedSessions<WatchedSession>;
  readonly #waiting = new Map<string, Set<Waiter>>();
  #waiters = 0;

  constructor(capacity: number) {
    this.#sessions = new BoundedSessions(capacity);
  }

  get(sessionId: string): WatchedSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Keeps the session as folded (`undefined`: let go, it completed) and wakes the requests waiting for it. */
  set(sessionId: string, session: WatchedSession | undefined): void {
    if (session) this.#sessions.set(sessionId, session);
    else this.#sessions.delete(sessionId);
    const waiters = this.#waiting.get(sessionId);
    if (!waiters) return;
    for (const waiter of waiters) if (session === undefined || session.head.n >= waiter.n) waiter.done();
  }

  /** Ends every wait now (the replica is stopping): the requests go unanswered, and the actors apply their agents' choice. */
  abandonWaits(): void {
    for (const waiters of this.#waiting.values()) for (const waiter of waiters) waiter.done();
  }

  /** Requests waiting for their session to be folded further, now. */
  get waiting(): number {
    return this.#waiters;
  }

  /** The session once folded up to event `n`; undefined if that takes longer than `waitMs`, or the session completed. */
  async folded(sessionId: string, n: number, waitMs: number): Promise<WatchedSession | undefined> {
    const now = this.#sessions.get(sessionId);
    if (now && now.head.n >= n) return now;
    this.#waiters += 1;
    const waiters = this.#waiting.get(sessionId) ?? new Set<Waiter>();
    this.#waiting.set(sessionId, waiters);
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    await new Promise<void>((resolve) => {
      waiter = { n, done: resolve };
      waiters.add(waiter);
      timer = setTimeout(resolve, waitMs);
    });
    clearTimeout(timer);
    this.#waiters -= 1;
    if (waiter) waiters.delete(waiter);
    if (waiters.size === 0) this.#waiting.delete(sessionId);
    const later = this.#sessions.get(sessionId);
    return later && later.head.n >= n ? later : undefined;
  }
}
