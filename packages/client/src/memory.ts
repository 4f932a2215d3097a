import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DreamJob, encode, validate, type DreamRun, type Naming } from '@signalbox/events';
import type { MemoryStore } from '@signalbox/store';
import { ulid } from 'ulid';

/** A consolidation asked for: who asks, at most how many sessions it reads (the store's setting unless set), and its id (a new ULID unless set). */
export interface DreamOptions {
  by: string;
  sessions?: number;
  jobId?: string;
}

/** How often `waitForDreamRun` looks for the job's record. */
const pollMs = 250;

/**
 * Publishes a dream job on `<prefix>.jobs.dream`, its id the `Nats-Msg-Id`, so the same job sent twice
 * is one; refuses a store that is not defined.
 */
export async function sendDreamJob(nc: NatsConnection, names: Naming, memory: MemoryStore, store: string, options: DreamOptions): Promise<DreamJob> {
  if (!(await memory.definition(store))) throw new Error(`no memory store ${store}; \`signalbox memory list\` lists them`);
  const job = validate(DreamJob, { jobId: options.jobId ?? ulid(), store, by: options.by, ...(options.sessions === undefined ? {} : { sessions: options.sessions }) }, 'a dream job');
  await jetstream(nc).publish(names.subjects.dreamJobs, encode(job), { msgID: job.jobId });
  return job;
}

/** What the consolidator recorded of a job, once it has; undefined when nothing came within `timeoutMs`. */
export async function waitForDreamRun(memory: MemoryStore, store: string, jobId: string, timeoutMs: number): Promise<DreamRun | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await memory.run(store, jobId);
    if (run || Date.now() >= deadline) return run;
    await sleep(pollMs);
  }
}
