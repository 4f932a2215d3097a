import type { ToolJob, ToolResult } from '@signalbox/events';
import { ServedHere } from './served-here.ts';

/** Runs a job here and resolves with its result; undefined when the job is not one it runs here (it goes over NATS). */
export type InProcessToolRunner = (job: ToolJob, traceparent: string | undefined) => Promise<ToolResult> | undefined;

/**
 * Where a session actor hands tool calls to the tool executors of its own process, as Temporal's local
 * activities are run by the workflow's own worker: a call run here skips the jobs stream, the executor's
 * pull, the result's publish and the inbox's delivery, so a step makes two fewer hops and stores two
 * fewer messages (the job and the result; the ledger is still written). What an executor runs here it chooses (see `toolExecutorService`'s `inProcess`); every
 * other job, and every job when no executor here serves, goes over NATS as before.
 */
export class InProcessTools extends ServedHere<InProcessToolRunner> {
  /** The job's result from the first executor here that runs it; undefined when none does. */
  run(job: ToolJob, traceparent: string | undefined): Promise<ToolResult> | undefined {
    for (const runner of this.servers) {
      const running = runner(job, traceparent);
      if (running) return running;
    }
    return undefined;
  }
}
