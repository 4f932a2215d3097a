import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { startDurableWorker, type Service } from '@signalbox/runtime';
import { toolCatalogue } from './execute.ts';
import { kvToolLedger } from './ledger.ts';
import type { ToolSpec } from './tool.ts';
import { advertiseTools } from './tool-registry.ts';
import { answerDeadToolJob, handleToolJob, type ToolJobDeps } from './tool-jobs.ts';

export interface ToolExecutorOptions {
  tools: readonly ToolSpec[];
  /** Tool calls run at once by this process. */
  concurrency?: number;
  /** Deliveries of a job that keeps failing before it is dead-lettered and its session told. */
  maxDeliver?: number;
  /** How long a job may go unacknowledged before another executor gets it (a crashed executor's jobs). */
  ackWaitMs?: number;
  clock?: () => number;
}

/**
 * Runs tool jobs from `sbx.jobs.tool.>` and sends each result to the calling session's inbox.
 * Every executor process shares one durable consumer, so every process must run the same tools.
 */
export function toolExecutorService(options: ToolExecutorOptions): Service {
  return {
    name: 'tool-executor',
    start: async (context) => {
      const tools = toolCatalogue(options.tools);
      await advertiseTools(context.nc, context.names, options.tools);
      const deps: ToolJobDeps = {
        js: jetstream(context.nc),
        names: context.names,
        logger: context.logger,
        tools,
        workspaces: await new Objm(context.nc).open(context.names.objectStores.workspace),
        ledger: kvToolLedger(await new Kvm(context.nc).open(context.names.buckets.toolLedger)),
        instance: context.config.instance,
        now: options.clock ?? Date.now,
      };
      return startDurableWorker({
        nc: context.nc,
        names: context.names,
        logger: context.logger,
        stream: context.names.streams.jobs,
        durable: 'tool-executor',
        filterSubject: context.names.subjects.allToolJobs,
        deadLetterSource: 'jobs',
        concurrency: options.concurrency,
        maxDeliver: options.maxDeliver,
        ackWaitMs: options.ackWaitMs ?? context.config.ackWaitMs,
        handle: (message) => handleToolJob(deps, message),
        onDeadLetter: (message, reason) => answerDeadToolJob(deps, message, reason),
      });
    },
  };
}
