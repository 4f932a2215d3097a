import { providerModelLookup, type ModelLookup } from '@signalbox/models';
import type { Service, ServiceContext } from '@signalbox/runtime';
import { MemoryStore, memoryEntryId } from '@signalbox/store';
import { defaultRequestChars } from './core/consolidation-request.ts';
import { defaultTranscriptLimits } from './core/transcript.ts';
import type { ConsolidationDeps } from './shell/consolidate.ts';
import { startDreamJobs } from './shell/dream-jobs.ts';
import { armMissingTimers, startDreamFirings } from './shell/dream-timers.ts';
import type { MemoryPort } from './shell/memory-port.ts';
import { sessionIndexRows } from './shell/session-index.ts';

export interface MemoryConsolidatorOptions {
  /** The models stores' consolidations name (default: the installation's providers, keyed from this process's environment). */
  models?: ModelLookup;
  /** The memory stores (default: the store library's `MemoryStore` on `sbx-memory`); tests inject their own. */
  memory?: (context: ServiceContext) => Promise<MemoryPort>;
  /** Dream jobs run at once by this process (default 2; one at a time per store). */
  concurrency?: number;
  /** Deliveries of a job that keeps failing (its model's provider down) before it is dead-lettered and its run recorded failed (default 5). */
  maxDeliver?: number;
  /** How long a job may go unacknowledged before another replica gets it; default the config's. */
  ackWaitMs?: number;
  /** How long the model call may take (default 300 s). */
  modelDeadlineMs?: number;
  /** How often the stores are read to arm the timers of new schedules (default 60 s). */
  checkEveryMs?: number;
  /** One transcript's characters (default 8,000) and one request's (default 400,000). */
  transcriptChars?: number;
  requestChars?: number;
  clock?: () => number;
}

/**
 * Dreaming (issue #21): consolidates memory stores from finished sessions' transcripts. Takes dream
 * jobs from `<prefix>.jobs.dream` (a pool of replicas sharing one durable), and keeps each scheduled
 * store's timer armed, whose firings publish its jobs.
 */
export function memoryConsolidatorService(options: MemoryConsolidatorOptions = {}): Service {
  const clock = options.clock ?? Date.now;
  return {
    name: 'memory-consolidator',
    start: async (context) => {
      const { config, logger } = context;
      const memory = options.memory ? await options.memory(context) : await MemoryStore.open(context.nc, context.names);
      const deps: ConsolidationDeps = {
        memory,
        reader: context.store,
        sessionRows: () => sessionIndexRows(context.nc, context.names),
        models: options.models ?? providerModelLookup(config.models),
        providers: config.models.providers,
        entryId: memoryEntryId,
        clock,
        logger,
        limits: { transcript: { ...defaultTranscriptLimits, transcriptChars: options.transcriptChars ?? defaultTranscriptLimits.transcriptChars }, requestChars: options.requestChars ?? defaultRequestChars },
        modelDeadlineMs: options.modelDeadlineMs ?? 300_000,
        ...(context.tracing ? { tracer: context.tracing.tracer } : {}),
      };
      const jobs = await startDreamJobs(context, deps, { concurrency: options.concurrency ?? 2, maxDeliver: options.maxDeliver ?? 5, ackWaitMs: options.ackWaitMs ?? config.ackWaitMs });
      const firings = await startDreamFirings(context, memory, clock);
      let checking: Promise<void> | undefined;
      const check = () => {
        checking ??= armMissingTimers(context, memory, clock())
          .catch((error: unknown) => logger.warn({ err: error }, 'could not arm the consolidation timers; will try again'))
          .finally(() => (checking = undefined));
      };
      check();
      // The stores' schedules are timers in the stream; this only notices a store defined since.
      const checks = setInterval(check, options.checkEveryMs ?? 60_000);
      return {
        stop: async () => {
          clearInterval(checks);
          await checking;
          await firings.stop();
          await jobs.stop();
        },
      };
    },
  };
}
