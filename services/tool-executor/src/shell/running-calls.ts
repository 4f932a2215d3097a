/** Calls an interrupt cancelled before they began here, remembered at most: every executor hears every interrupt. */
export const rememberedCancellations = 10_000;
/** Sessions whose interrupt was heard and whose cancelled calls have not come yet, remembered at most. */
const rememberedInterrupts = 10_000;
/**
 * How long a call of a session whose interrupt was heard waits, before it begins, for the actor to name
 * the calls that interrupt cancelled: the actor applies it first, a client's copy is heard sooner.
 */
export const cancellationWaitMs = 3_000;

interface Running {
  callId: string;
  controller: AbortController;
}

/**
 * The tool calls this executor is running, by session, so an interrupt of a session tells each of its
 * calls to stop (through the signal its tool gets); and the calls an interrupt cancelled that have not
 * begun here, so one taken later (queued behind others, or redelivered) begins already stopped.
 */
export class RunningCalls {
  readonly #bySession = new Map<string, Set<Running>>();
  /** By `<sessionId>/<callId>` (a call's idempotency key), oldest first: the reason it was stopped. */
  readonly #cancelled = new Map<string, Error>();
  /** By session, oldest first: an interrupt was heard, and the actor has not yet said what it cancelled. */
  readonly #unsettled = new Map<string, { settle: () => void; settled: Promise<void> }>();
  readonly #waitMs: number;

  constructor(options: { cancellationWaitMs?: number } = {}) {
    this.#waitMs = options.cancellationWaitMs ?? cancellationWaitMs;
  }

  /**
   * The signal a call of the session runs with (aborted already when an interrupt cancelled it); `end`
   * when it has finished. While an interrupt of the session was heard and what it cancelled was not, it
   * waits for that first, `cancellationWaitMs` at most.
   */
  async begin(sessionId: string, callId: string): Promise<{ signal: AbortSignal; end(): void }> {
    await this.#unsettled.get(sessionId)?.settled;
    const running: Running = { callId, controller: new AbortController() };
    const key = callKey(sessionId, callId);
    const cancelled = this.#cancelled.get(key);
    if (cancelled) {
      this.#cancelled.delete(key);
      running.controller.abort(cancelled);
    }
    const calls = this.#bySession.get(sessionId) ?? new Set();
    this.#bySession.set(sessionId, calls.add(running));
    return {
      signal: running.controller.signal,
      end: () => {
        calls.delete(running);
        if (calls.size === 0 && this.#bySession.get(sessionId) === calls) this.#bySession.delete(sessionId);
      },
    };
  }

  /** An interrupt heard: the session's running calls stop, and its next ones wait to learn whether it cancelled them. */
  stop(sessionId: string, reason: Error): void {
    for (const { controller } of this.#bySession.get(sessionId) ?? []) controller.abort(reason);
    if (this.#unsettled.has(sessionId)) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, this.#waitMs);
    timer.unref();
    const settled = promise.finally(() => {
      clearTimeout(timer);
      if (this.#unsettled.get(sessionId)?.settled === settled) this.#unsettled.delete(sessionId);
    });
    this.#unsettled.set(sessionId, { settle: resolve, settled });
    for (const [oldest, unsettled] of this.#unsettled) {
      if (this.#unsettled.size <= rememberedInterrupts) break;
      unsettled.settle();
      this.#unsettled.delete(oldest);
    }
  }

  /**
   * The actor applied an interrupt of the session: `calls` are the ones it cancelled (maybe none), stopped
   * here whether running or still to begin; the session's calls held back go on.
   */
  cancel(sessionId: string, reason: Error, calls: readonly string[]): void {
    const named = new Set(calls);
    for (const { callId, controller } of this.#bySession.get(sessionId) ?? []) if (named.has(callId)) controller.abort(reason);
    for (const callId of named) {
      const key = callKey(sessionId, callId);
      this.#cancelled.delete(key);
      this.#cancelled.set(key, reason);
    }
    for (const oldest of this.#cancelled.keys()) {
      if (this.#cancelled.size <= rememberedCancellations) break;
      this.#cancelled.delete(oldest);
    }
    const unsettled = this.#unsettled.get(sessionId);
    this.#unsettled.delete(sessionId);
    unsettled?.settle();
  }
}

function callKey(sessionId: string, callId: string): string {
  return `${sessionId}/${callId}`;
}
