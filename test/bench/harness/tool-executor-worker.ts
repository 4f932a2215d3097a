/**
 * One tool-executor process for the executor-scaling benchmark: `toolExecutorService` with a tool that
 * waits BENCH_WAIT_MS, against NATS_URL, BENCH_CONCURRENCY calls at once, logging at BENCH_LOG_LEVEL (silent unless
 * given). Prints `ready`; drains on SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionIndexEntry } from '@signalbox/events';
import { createLogger, RuntimeConfig, startHost, stopOnSignals } from '@signalbox/runtime';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { benchWaitTool } from './executor-jobs.ts';

const waitMs = Number(process.env['BENCH_WAIT_MS'] ?? 2);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);

// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
const wait = defineTool({
  name: benchWaitTool,
  description: 'Waits a moment, then answers.',
  input: SessionIndexEntry.pick({}),
  run: async () => {
    await sleep(waitMs);
    return 'ok';
  },
});

const config = RuntimeConfig.parse({ natsUrl: process.env['NATS_URL'], logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });
const host = await startHost([toolExecutorService({ tools: [wait], concurrency })], config);
stopOnSignals(host, createLogger({ service: 'bench-executor', instance: config.instance, level: config.logLevel }));
console.log('ready');
