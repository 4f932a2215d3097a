import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { encode, type Naming, type ToolJob } from '@signalbox/events';

/** The executor-scaling benchmark's tool: it waits a moment, then answers. */
export const benchWaitTool = 'bench.wait';

/** The raw baseline's work-queue stream and the durable every raw worker shares. */
export const rawJobs = { stream: 'BENCH_RAW_JOBS', subject: 'bench.rawjobs', durable: 'raw-workers' } as const;

/**
 * Where the raw baseline that writes what an executor writes puts them: each job's result in a work-queue
 * stream (as the inbox is) and its record in a KV bucket of one revision a key (as the ledger is).
 */
export const rawWrites = { stream: 'BENCH_RAW_RESULTS', subject: 'bench.rawresults', bucket: 'bench-raw-ledger' } as const;

/** Publishes this many at once, each awaiting its ack: fast, without flooding the server. */
const publishWindow = 200;

/**
 * Publishes `count` tool jobs for the wait tool the way the session actor dispatches new calls
 * (msgpack, idempotency key as message id, marked as first dispatches), spread over 16 sessions'
 * inboxes. Keys are unique per `runId`.
 */
export async function publishToolJobs(nc: NatsConnection, names: Naming, runId: string, count: number): Promise<void> {
  const js = jetstream(nc);
  await inWindows(count, (index) => {
    const sessionId = `bench-${runId}-${index % 16}`;
    const job: ToolJob = {
      sessionId,
      correlationId: sessionId,
      callId: `call-${index}`,
      tool: benchWaitTool,
      input: {},
      idempotencyKey: `${runId}/${index}`,
      firstDispatch: true,
    };
    return js.publish(names.subjects.toolJob(benchWaitTool), encode(job), { msgID: job.idempotencyKey });
  });
}

/**
 * The raw baselines' streams, durable and bucket, set up like the runtime's jobs stream and its consumer,
 * its inbox and its tool ledger.
 */
export async function createRawJobs(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const workQueue = { storage: StorageType.File, retention: RetentionPolicy.Workqueue };
  await jsm.streams.add({ ...workQueue, name: rawJobs.stream, subjects: [rawJobs.subject] });
  await jsm.consumers.add(rawJobs.stream, { durable_name: rawJobs.durable, ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
  await jsm.streams.add({ ...workQueue, name: rawWrites.stream, subjects: [rawWrites.subject] });
  await new Kvm(nc).create(rawWrites.bucket, { history: 1, ttl: 7 * 24 * 3600 * 1000 });
}

/** Publishes `count` messages of about a tool job's size to the raw stream. */
export async function publishRawJobs(nc: NatsConnection, runId: string, count: number): Promise<void> {
  const js = jetstream(nc);
  const payload = new Uint8Array(160).fill(0x6a);
  await inWindows(count, (index) => js.publish(rawJobs.subject, payload, { msgID: `${runId}/${index}` }));
}

/** Messages now in `stream`: results that arrived (inbox) or jobs not yet acked (work queue). */
export async function streamMessages(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
}

async function inWindows(count: number, publish: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += publishWindow) {
    const end = Math.min(start + publishWindow, count);
    await Promise.all(Array.from({ length: end - start }, (_, offset) => publish(start + offset)));
  }
}
