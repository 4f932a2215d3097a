/**
 * The tool calls this executor is running, by session, so an interrupt of a session tells each of its
 * calls to stop (through the signal its tool gets).
 */
export class RunningCalls {
  readonly #bySession = new Map<string, Set<AbortController>>();

  /** The signal a call of the session runs with; `end` when it has finished. */
  begin(sessionId: string): { signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    const calls = this.#bySession.get(sessionId) ?? new Set();
    this.#bySession.set(sessionId, calls.add(controller));
    return {
      signal: controller.signal,
      end: () => {
        calls.delete(controller);
        if (calls.size === 0 && this.#bySession.get(sessionId) === calls) this.#bySession.delete(sessionId);
      },
    };
  }

  stop(sessionId: string, reason: Error): void {
    for (const controller of this.#bySession.get(sessionId) ?? []) controller.abort(reason);
  }
}
