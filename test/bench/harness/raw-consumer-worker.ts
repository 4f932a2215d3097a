/**
 * One raw JetStream consumer process for the executor-scaling baselines: pulls from the shared durable
 * BENCH_DURABLE on BENCH_STREAM, waits BENCH_WAIT_MS per message, BENCH_CONCURRENCY at once, then acks.
 * With BENCH_WRITES=1 it first writes what an executor writes for a job, both at once as the executor
 * does: a result to a work-queue stream (with a message id) and a record created in a KV bucket. Prints
 * `ready`; stops on SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { connectNats } from '@signalbox/runtime';
import { rawWrites } from './executor-jobs.ts';

const waitMs = Number(process.env['BENCH_WAIT_MS'] ?? 2);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const stream = process.env['BENCH_STREAM'] ?? 'BENCH_RAW_JOBS';
const durable = process.env['BENCH_DURABLE'] ?? 'raw-workers';
const writes = process.env['BENCH_WRITES'] === '1';
// The sizes an executor writes for the benchmark's tool: its msgpack result (153 bytes) and the ledger's
// JSON entry that holds the result (about 320).
const result = new Uint8Array(153).fill(0x72);
const record = 'r'.repeat(320);

const url = process.env['NATS_URL'] ?? '';
const name = `bench-raw-${process.pid}`;
// Making the executor's writes, it connects as the executor does (no async stack traces, a turn's writes
// gathered), so that what differs is the executor's own work. The bare ack has nats.js's defaults, as
// before: what any client gets.
const nc = writes ? await connectNats(url, name) : await connect({ servers: url, name });
const js = jetstream(nc);
const ledger = writes ? await new Kvm(nc).open(rawWrites.bucket) : undefined;
const messages = await (await js.consumers.get(stream, durable)).consume({ max_messages: concurrency });
const inFlight = new Set<Promise<void>>();
const handle = async (message: JsMsg) => {
  await sleep(waitMs);
  if (ledger) {
    // The job's stream sequence names it uniquely, as an executor's idempotency key does.
    const key = `job-${message.seq}`;
    await Promise.all([js.publish(rawWrites.subject, result, { msgID: key }), ledger.create(key, record)]);
  }
  message.ack();
};
const consuming = (async () => {
  for await (const message of messages) {
    // The same bound as the runtime's durable worker: at most `concurrency` messages handled at once.
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    const done = handle(message).finally(() => inFlight.delete(done));
    inFlight.add(done);
  }
})();
let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  void (async () => {
    await messages.close();
    await consuming;
    await Promise.all(inFlight);
    await nc.close();
  })().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log('ready');
