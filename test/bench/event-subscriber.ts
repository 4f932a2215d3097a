/**
 * Throughput of the runtime's durable event subscriber (one replica: partition consumers with a pinned
 * priority group, per-session order and gap checks, an ack per event) reading a backlog of every
 * session's events, as a ratio to a raw ordered consumer of the same events stream in the same run
 * (no acks, no partitions, no per-session bookkeeping). Both decode every message as the append
 * contract says a watcher must (`decodeEventMessage`: one event or a decision's). Alternated after one untimed
 * run of each, fresh consumers each time; the subscriber's time includes creating its durables.
 *
 *   node test/bench/event-subscriber.ts    (env: BENCH_SESSIONS=500, BENCH_STEPS=12, BENCH_REPS=3, BENCH_PARTITIONS=8)
 */
import { availableParallelism } from 'node:os';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { decodeEventMessage, encodeEvent, naming, typeHeader } from '@signalbox/events';
import { createLogger, RuntimeConfig, startEventSubscriber } from '@signalbox/runtime';
import { openEventReader, provision, provisionEventPartitions } from '@signalbox/store';
import { headers } from '@nats-io/nats-core';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { median } from './harness/stats.ts';
import { syntheticSessionEvents } from './harness/synthetic-session.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 500);
const steps = Number(process.env['BENCH_STEPS'] ?? 12);
const reps = Number(process.env['BENCH_REPS'] ?? 3);
const partitions = Number(process.env['BENCH_PARTITIONS'] ?? 8);
const target = 0.5;

await runBench('event-subscriber', 80_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names, { eventPartitions: partitions });
  // The partitions stream is made by the first subscriber to start; made here, its sourcing of the backlog is not timed.
  await provisionEventPartitions(nats.nc, names, { eventPartitions: partitions });
  const js = jetstream(nats.nc);
  const jsm = await jetstreamManager(nats.nc);

  // The backlog: every session's events, appended round by round so sessions interleave in the stream.
  const logs = Array.from({ length: sessions }, (_, index) => syntheticSessionEvents(`bench-${index}`, steps));
  const total = logs.reduce((sum, log) => sum + log.length, 0);
  for (let n = 0; n < (logs[0]?.length ?? 0); n++) {
    await Promise.all(
      logs.map((log) => {
        const event = log[n]!;
        const hdrs = headers();
        hdrs.set(typeHeader, event.type);
        return js.publish(names.subjects.events(event.sessionId), encodeEvent(event), { msgID: `${event.sessionId}/${event.n}`, headers: hdrs });
      }),
    );
  }
  // Sourcing into the partitions is the server's work, done before either reader starts.
  while ((await jsm.streams.info(names.streams.eventPartitions)).state.messages < total) await new Promise((resolve) => setTimeout(resolve, 50));

  const raw = async (): Promise<number> => {
    const started = performance.now();
    const consumer = await js.consumers.get(names.streams.events);
    const messages = await consumer.consume();
    let seen = 0;
    for await (const message of messages) {
      decodeEventMessage(message.data);
      if (++seen === total) break;
    }
    await messages.close();
    return performance.now() - started;
  };

  const config = RuntimeConfig.parse({ instance: 'bench', eventPartitions: partitions, logLevel: 'silent' });
  const context = { nc: nats.nc, names, config, logger: createLogger({ service: 'bench', instance: 'bench', level: 'silent' }), store: await openEventReader(nats.nc, names) };
  let group = 0;
  const subscribed = async (): Promise<number> => {
    const started = performance.now();
    let seen = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const subscriber = await startEventSubscriber(context, {
      group: `bench-${++group}`,
      handle: async () => {
        if (++seen === total) done();
      },
    });
    await all;
    const elapsed = performance.now() - started;
    await subscriber.stop();
    return elapsed;
  };

  // One untimed run of each, so both are measured warm: the subscriber's first run took up to twice its later ones.
  await raw();
  await subscribed();
  const rawMs: number[] = [];
  const subscriberMs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    rawMs.push(await raw());
    subscriberMs.push(await subscribed());
  }
  const rawRate = total / (median(rawMs) / 1000);
  const subscriberRate = total / (median(subscriberMs) / 1000);
  const verdict = { ratio: subscriberRate / rawRate, target, atLeast: true };
  const rate = (value: number) => `${Math.round(value).toLocaleString('en')} events/s`;
  console.log(
    [
      `event-subscriber · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${sessions} sessions, ${total} events, ${partitions} partitions, median of ${reps}`,
      `  raw ordered consumer of ${names.streams.events}   ${rate(rawRate)}  (${rawMs.map((value) => value.toFixed(0)).join(', ')} ms)`,
      `  event subscriber, one replica       ${rate(subscriberRate)}  (${subscriberMs.map((value) => value.toFixed(0)).join(', ')} ms)`,
      verdictLine('subscriber throughput / raw ordered consumer', verdict),
    ].join('\n'),
  );
  printSummary('event-subscriber', verdict, { events: total, partitions, rawEventsPerSecond: rawRate, subscriberEventsPerSecond: subscriberRate });
});
