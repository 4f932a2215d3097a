import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { decode, DecodeError, encode, ToolJob } from '@signalbox/events';
import { Rejection, startDurableWorker, type Service, type ServiceContext } from '@signalbox/runtime';
import { execute, toolCatalogue, type ToolCatalogue } from './execute.ts';
import type { ToolSpec } from './tool.ts';
import { advertiseTools } from './tool-registry.ts';
import { objectStoreWorkspace } from './workspace.ts';

export interface ToolExecutorOptions {
  tools: readonly ToolSpec[];
  /** Tool calls run at once by this process. */
  concurrency?: number;
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
      const workspaces = await new Objm(context.nc).open(context.names.objectStores.workspace);
      const handle = toolJobHandler(context, tools, workspaces);
      return startDurableWorker({
        nc: context.nc,
        names: context.names,
        logger: context.logger,
        stream: context.names.streams.jobs,
        durable: 'tool-executor',
        filterSubject: context.names.subjects.allToolJobs,
        deadLetterSource: 'jobs',
        concurrency: options.concurrency,
        handle,
      });
    },
  };
}

/** The handler resolves only once the result is in the session's inbox, so a job is acked after that, never before. */
function toolJobHandler(context: ServiceContext, tools: ToolCatalogue, workspaces: ObjectStore): (message: JsMsg) => Promise<void> {
  const js = jetstream(context.nc);
  return async (message) => {
    const job = decodeToolJob(message);
    // Ids only, never input or error text: a tool's input may carry secrets, and errors may echo it.
    const logger = context.logger.child({ sessionId: job.sessionId, correlationId: job.correlationId, callId: job.callId, tool: job.tool });
    const workspace = objectStoreWorkspace(workspaces, job.correlationId);
    const result = await execute(tools, job, { workspace, logger, now: Date.now });
    await js.publish(context.names.subjects.inbox(job.sessionId), encode(result), {
      // A redelivered job runs again, but its result lands once (within the stream's duplicate window).
      msgID: `${job.idempotencyKey}/result`,
    });
    logger.info({ status: result.outcome.status, durationMs: result.durationMs }, 'tool call finished');
  };
}

function decodeToolJob(message: JsMsg): ToolJob {
  try {
    return decode(ToolJob, message.data, 'tool job');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
}
