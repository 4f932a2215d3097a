/**
 * One raw JetStream consumer process for the executor-scaling baseline: pulls from the shared durable
 * BENCH_DURABLE on BENCH_STREAM, waits BENCH_WAIT_MS per message, BENCH_CONCURRENCY at once, then acks.
 * Prints `ready`; stops on SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const waitMs = Number(process.env['BENCH_WAIT_MS'] ?? 2);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const stream = process.env['BENCH_STREAM'] ?? 'BENCH_RAW_JOBS';
const durable = process.env['BENCH_DURABLE'] ?? 'raw-workers';

const nc = await connect({ servers: process.env['NATS_URL'], name: `bench-raw-${process.pid}` });
const messages = await (await jetstream(nc).consumers.get(stream, durable)).consume({ max_messages: concurrency });
const inFlight = new Set<Promise<void>>();
const handle = async (message: JsMsg) => {
  await sleep(waitMs);
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
