import type { ToolJob, ToolResult } from '@signalbox/events';
import type { InProcessTools, Logger } from '@signalbox/runtime';
import type { ToolPort } from './effect-ports.ts';

/** A call run in this process: its result, or undefined when it failed here and its job went over NATS instead. */
export type InProcessCall = Promise<ToolResult | undefined>;

/**
 * Calls one chain of steps runs here before the next goes over NATS. A chain holds the message that
 * started it, and so one of the actor's `concurrency` slots, until it waits on something outside this
 * process: a session whose calls all ran here would hold its slot to its end, and sessions queued behind
 * it would wait as long. Going over NATS once in so many calls ends the chain, and the result starts the next.
 */
export const chainLimit = 32;

/**
 * Calls run by an executor of this process, by session, until a command's handling takes them to record
 * their results. Any command of the session may take them: whichever does holds its message until they
 * are recorded, so a crash before then redelivers a message and the log's unfinished calls go out again.
 */
export class InProcessCalls {
  readonly #running = new Map<string, InProcessCall[]>();
  /** Calls run here by each session's chain of steps so far. */
  readonly #chained = new Map<string, number>();
  readonly #limit: number;

  constructor(limit = chainLimit) {
    this.#limit = limit;
  }

  /** Whether the session's chain may run another call here; false once it has run `limit`. */
  mayRun(sessionId: string): boolean {
    return (this.#chained.get(sessionId) ?? 0) < this.#limit;
  }

  add(sessionId: string, call: InProcessCall): void {
    this.#chained.set(sessionId, (this.#chained.get(sessionId) ?? 0) + 1);
    const calls = this.#running.get(sessionId);
    if (calls) calls.push(call);
    else this.#running.set(sessionId, [call]);
  }

  /** The session's calls not yet taken, now taken. */
  take(sessionId: string): InProcessCall[] {
    const calls = this.#running.get(sessionId) ?? [];
    this.#running.delete(sessionId);
    return calls;
  }

  /** The session's chain of steps ended (it waits on something outside, or failed): the next starts afresh. */
  ended(sessionId: string): void {
    this.#chained.delete(sessionId);
  }
}

/**
 * Hands each job an executor of this process runs (`InProcessTools`) to it, while the session's chain of
 * steps is under `chainLimit`, and the rest to `live`. A job
 * that fails here (the ledger out of reach, say) is sent over NATS after all, where it is retried,
 * dead-lettered and answered as any job is; it fails here before it ran, or after a run that is safe to repeat.
 */
export function inProcessToolPort(
  live: ToolPort,
  tools: InProcessTools,
  calls: InProcessCalls,
  logger: Logger,
  traceparentOf?: (job: ToolJob) => string | undefined,
): ToolPort {
  const overNats = async (sessionId: string, job: ToolJob, error: unknown): Promise<undefined> => {
    logger.warn({ err: error, sessionId, callId: job.callId, tool: job.tool }, 'a tool call failed in this process; sending its job over NATS');
    await live.dispatch(sessionId, [job]);
    return undefined;
  };
  return {
    dispatch: async (sessionId, jobs) => {
      const remote: ToolJob[] = [];
      for (const job of jobs) {
        const running = calls.mayRun(sessionId) ? tools.run(job, traceparentOf?.(job)) : undefined;
        if (running === undefined) remote.push(job);
        else calls.add(sessionId, running.catch((error: unknown) => overNats(sessionId, job, error)));
      }
      return remote.length > 0 ? live.dispatch(sessionId, remote) : [];
    },
  };
}
