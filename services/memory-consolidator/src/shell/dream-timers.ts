import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { decode, encode, type Naming } from '@signalbox/events';
import { decodeWork, Rejection, startDurableWorker, type RunningWorker, type ServiceContext } from '@signalbox/runtime';
import { DreamTimer, needsArming, nextFiring, scheduledJob } from '../core/dream-schedule.ts';
import type { MemoryPort } from './memory-port.ts';

/** The durable every consolidator replica shares on the firings of the stores' timers. */
export const dreamTimersDurable = 'memory-consolidator-timers';

/** How soon a timer armed for a time already past fires: at once. */
const overdueDelayMs = 1_000;

/**
 * A store's consolidation timer: a message schedule on the store's own subject in the timers stream
 * (`<prefix>.timers.dream.<store>.at`), so it fires with no consolidator running at the time. A
 * subject holds one schedule, so arming again replaces it: there is never more than one per store.
 */
export async function armDreamTimer(context: Pick<ServiceContext, 'nc' | 'names'>, timer: DreamTimer, now: number): Promise<void> {
  const at = new Date(Math.max(timer.at, now + overdueDelayMs));
  await jetstream(context.nc).publish(context.names.subjects.dreamTimer(timer.store), encode(timer), {
    schedule: { specification: at, target: context.names.subjects.dreamTimerDue(timer.store) },
  });
}

/**
 * The timer a store has armed: the schedule waiting on its subject, else a firing not yet handled
 * (the server removes a schedule once it fires; the handler of its firing arms the next).
 */
export async function armedDreamTimer(context: Pick<ServiceContext, 'nc' | 'names'>, store: string): Promise<DreamTimer | undefined> {
  const jsm = await jetstreamManager(context.nc);
  for (const subject of [context.names.subjects.dreamTimer(store), context.names.subjects.dreamTimerDue(store)]) {
    const message = await jsm.direct.getMessage(context.names.streams.timers, { last_by_subj: subject });
    const timer = message && message.data.length > 0 ? decodeOrUndefined(message.data) : undefined;
    if (timer) return timer;
  }
  return undefined;
}

/**
 * Arms the timer of every store with a schedule (`consolidation.everyMs`) that has none, or one set
 * further ahead than its schedule now allows. An armed timer is left alone: a restart must not push
 * the schedule back.
 */
export async function armMissingTimers(context: Pick<ServiceContext, 'nc' | 'names' | 'logger'>, memory: MemoryPort, now: number): Promise<void> {
  for (const definition of await memory.definitions()) {
    const everyMs = definition.consolidation?.everyMs;
    if (everyMs === undefined) continue;
    if (!needsArming(await armedDreamTimer(context, definition.name), everyMs, now)) continue;
    await armDreamTimer(context, { store: definition.name, at: now + everyMs }, now);
    context.logger.info({ store: definition.name, at: now + everyMs }, 'armed the consolidation timer');
  }
}

/**
 * Handles each firing: publishes the store's dream job (its id, and message id, from the store and the
 * time the timer was set for, so a firing handled twice publishes one job), then arms the next firing.
 * A store whose schedule was removed gets no job, and its timer ends there.
 */
export function startDreamFirings(context: ServiceContext, memory: MemoryPort, clock: () => number): Promise<RunningWorker> {
  const { nc, names, logger } = context;
  return startDurableWorker({
    nc,
    names,
    logger,
    stream: names.streams.timers,
    durable: dreamTimersDurable,
    metrics: context.metrics,
    filterSubject: names.subjects.allDreamTimersDue,
    deadLetterSource: 'dream-timers',
    handle: async (message) => {
      const timer = firedTimer(names, message);
      const everyMs = (await memory.definition(timer.store))?.consolidation?.everyMs;
      if (everyMs === undefined) {
        logger.info({ store: timer.store }, 'consolidation timer fired for a store with no schedule now; not armed again');
        return;
      }
      const job = scheduledJob(timer);
      await jetstream(nc).publish(names.subjects.dreamJobs, encode(job), { msgID: job.jobId });
      await armDreamTimer(context, { store: timer.store, at: nextFiring(timer.at, everyMs, clock()) }, clock());
      logger.info({ store: timer.store, at: timer.at, jobId: job.jobId }, 'consolidation timer fired; dream job published');
    },
  });
}

/** What fired, checked as any input: a timer of the store whose subject it fired on, else it is dead-lettered. */
function firedTimer(names: Naming, message: JsMsg): DreamTimer {
  const timer = decodeWork(DreamTimer, message, 'dream timer');
  if (message.subject !== names.subjects.dreamTimerDue(timer.store)) throw new Rejection(`the dream timer of store ${timer.store} fired on ${message.subject}, which is not its subject`);
  return timer;
}

function decodeOrUndefined(data: Uint8Array): DreamTimer | undefined {
  try {
    return decode(DreamTimer, data, 'dream timer');
  } catch {
    return undefined;
  }
}
