import type { JsMsg } from '@nats-io/jetstream';
import { DecodeError, DreamJob, memoryConsolidatorDurable, parseJson, validate } from '@signalbox/events';
import { decodeWork, Rejection, startDurableWorker, type RunningWorker, type ServiceContext } from '@signalbox/runtime';
import { consolidate, type ConsolidationDeps } from './consolidate.ts';
import { withDreamSpan } from './dream-spans.ts';

export interface DreamJobSettings {
  concurrency: number;
  maxDeliver: number;
  ackWaitMs: number;
}

/**
 * Takes dream jobs from `<prefix>.jobs.dream` (JSON or msgpack) and consolidates each; a job is acked
 * once its run is recorded. A process consolidates one store at a time, so two jobs of one store it
 * holds do not read the same sessions at once. A job that keeps failing (its model's provider down)
 * is dead-lettered after `maxDeliver` deliveries and its run recorded as failed.
 */
export function startDreamJobs(context: ServiceContext, deps: ConsolidationDeps, settings: DreamJobSettings): Promise<RunningWorker> {
  const running = new Map<string, Promise<unknown>>();
  const oneAtATime = async (store: string, work: () => Promise<unknown>): Promise<void> => {
    const before = running.get(store) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    running.set(store, mine);
    try {
      await mine;
    } finally {
      if (running.get(store) === mine) running.delete(store);
    }
  };
  return startDurableWorker({
    nc: context.nc,
    names: context.names,
    logger: context.logger,
    stream: context.names.streams.jobs,
    durable: memoryConsolidatorDurable,
    metrics: context.metrics,
    filterSubject: context.names.subjects.dreamJobs,
    deadLetterSource: 'jobs',
    ...settings,
    handle: async (message: JsMsg) => {
      const job = dreamJobOf(message);
      await oneAtATime(job.store, () => withDreamSpan(deps.tracer, job, message, (traceContext) => consolidate(deps, job, traceContext)));
    },
    onDeadLetter: async (message, reason) => {
      let job: DreamJob;
      try {
        job = dreamJobOf(message);
      } catch (error) {
        return context.logger.error({ err: error, subject: message.subject }, 'dead-lettered dream job cannot be decoded; no run to record');
      }
      if (await deps.memory.run(job.store, job.jobId)) return;
      await deps.memory.recordRun(job.store, { jobId: job.jobId, store: job.store, status: 'failed', versions: [], sessions: 0, error: `dead-lettered: ${reason}`.slice(0, 2_000), at: deps.clock() });
    },
  });
}

/** A dream job in msgpack, as the CLI and the schedule send them, or in JSON (`Content-Type: application/json`), as any NATS client can write one. */
function dreamJobOf(message: JsMsg): DreamJob {
  if (message.headers?.get('Content-Type') !== 'application/json') return decodeWork(DreamJob, message, 'dream job');
  try {
    return validate(DreamJob, parseJson(message.data, 'dream job'), 'dream job');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
}
