/** How long a tool result waits at most for an interrupt heard on the core subject to be applied. */
const interruptWaitMs = 3_000;
/** Interrupts this actor applied that it remembers (by session and id: a close's id is the same in every session), so the core message it sent for one does not hold results back. */
const rememberedIds = 1_000;

interface Pending {
  until: number;
  heard: Promise<void>;
  applied(): void;
}

/**
 * Interrupts heard on the core subject whose inbox copy this actor has not applied yet, by session.
 * An executor hears the same core message and answers its stopped call with a failure on the actor's
 * own inbox durable, which may deliver it before the messages durable delivers the interrupt: taken
 * first, that failure would be the tool's answer and the interrupt would find nothing left to stop.
 * So a session's tool result waits (up to `interruptWaitMs`) until the interrupt has been applied here.
 * When another actor applies it, the wait runs out and the result meets the interrupt in the log.
 */
export class InterruptsOnTheWay {
  readonly #pending = new Map<string, Pending>();
  readonly #applied = new Set<string>();
  readonly #now: () => number;
  readonly #waitMs: number;

  constructor(now: () => number = Date.now, waitMs = interruptWaitMs) {
    this.#now = now;
    this.#waitMs = waitMs;
  }

  /** An interrupt of `sessionId` heard on the core subject; one this actor has applied already is not on its way. */
  heard(sessionId: string, interruptId: string): void {
    this.#forgetRunOut();
    if (this.#applied.has(`${sessionId}/${interruptId}`) || this.#pending.has(sessionId)) return;
    const { promise: heard, resolve: applied } = Promise.withResolvers<void>();
    this.#pending.set(sessionId, { until: this.#now() + this.#waitMs, heard, applied });
  }

  /** The session's interrupt (or a message that cut in) was applied here: results wait no longer. */
  applied(sessionId: string, interruptId?: string): void {
    if (interruptId !== undefined) this.#remember(`${sessionId}/${interruptId}`);
    this.#pending.get(sessionId)?.applied();
    this.#pending.delete(sessionId);
  }

  /** Resolves once no interrupt of `sessionId` is on its way, or its wait has run out. */
  async before(sessionId: string): Promise<void> {
    const pending = this.#pending.get(sessionId);
    if (!pending) return;
    const left = pending.until - this.#now();
    let timer: NodeJS.Timeout | undefined;
    const ranOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, left))));
    await Promise.race([pending.heard, ranOut]);
    clearTimeout(timer);
    if (this.#pending.get(sessionId) === pending) this.#pending.delete(sessionId);
  }

  /**
   * Every actor hears every interrupt: those of sessions that sent this actor no result go once their wait
   * has run out. Entries are kept in the order heard, so their deadlines rise and the sweep stops at the
   * first still waiting: a flood of interrupts costs each one a constant, not a pass over all the others.
   */
  #forgetRunOut(): void {
    const now = this.#now();
    for (const [sessionId, pending] of this.#pending) {
      if (pending.until > now) break;
      this.#pending.delete(sessionId);
    }
  }

  #remember(key: string): void {
    this.#applied.add(key);
    if (this.#applied.size > rememberedIds) this.#applied.delete(this.#applied.values().next().value as string);
  }
}
