import type { SessionState } from '@signalbox/session';
import type { ToolPort } from './effect-ports.ts';

/** Runs remembered as not forks; the oldest are forgotten first (a forgotten one costs an executor a read). */
const rememberedRuns = 10_000;

/**
 * Runs known not to be forks, by their root session, from the states this actor decided on. A child
 * session's state does not say whether its root is a fork, so its calls are not marked.
 */
export class UnforkedRuns {
  readonly #roots = new Set<string>();

  know(state: SessionState): void {
    if (state.status === 'new' || state.sessionId !== state.correlationId || state.forkedFrom !== null || this.#roots.has(state.sessionId)) return;
    this.#roots.add(state.sessionId);
    if (this.#roots.size > rememberedRuns) this.#roots.delete(this.#roots.values().next().value as string);
  }

  has(root: string): boolean {
    return this.#roots.has(root);
  }
}

/**
 * Marks each job of a run `runs` knows as `unforkedRun`, so that its executor, in this process or over
 * NATS, need not read the run's first event to learn which workspace writes the call sees.
 */
export function markingUnforked(port: ToolPort, runs: UnforkedRuns): ToolPort {
  return {
    dispatch: (sessionId, jobs) => port.dispatch(sessionId, jobs.map((job) => (runs.has(job.correlationId) ? { ...job, unforkedRun: true } : job))),
  };
}
