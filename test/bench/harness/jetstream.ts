import { headers, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { median } from './stats.ts';

/** Wall-clock microseconds with sub-millisecond resolution: the clock the benchmark injects and reads. */
export function microClock(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Takes latency samples a batch at a time, so batches can be spread between the runtime's sessions. */
export interface Sampler {
  /** Runs `count` sequential operations; records their latencies unless this is a warm-up. */
  sample(count: number, options?: { warmup?: boolean }): Promise<void>;
  readonly latenciesMs: number[];
}

export interface PublishAckSampler extends Sampler {
  /** Local clock (µs) half-way between each recorded publish and its ack, by stream sequence: to place server timestamps. */
  readonly midpointsUs: Map<number, number>;
  readonly stream: string;
}

/**
 * Sequential `js.publish()` calls to a fresh file-storage stream with one subject: the raw cost the
 * runtime's per-step figure is compared with. `appendShaped` publishes the way the event store appends:
 * with a message id, an expected last subject sequence and a type header.
 */
export async function publishAckSampler(
  nc: NatsConnection,
  name: string,
  options: { payloadBytes: number; appendShaped?: boolean },
): Promise<PublishAckSampler> {
  const stream = `BENCH_${name.toUpperCase()}`;
  const subject = `bench.${name}`;
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
  const js = jetstream(nc);
  const payload = new Uint8Array(options.payloadBytes).fill(0x61);
  const latenciesMs: number[] = [];
  const midpointsUs = new Map<number, number>();
  let lastSeq = 0;
  return {
    stream,
    latenciesMs,
    midpointsUs,
    sample: async (count, { warmup = false } = {}) => {
      for (let index = 0; index < count; index++) {
        const publishOptions = options.appendShaped ? appendShapedOptions(`${name}/${lastSeq + 1}`, lastSeq) : {};
        const started = performance.now();
        const ack = await js.publish(subject, payload, publishOptions);
        const finished = performance.now();
        lastSeq = ack.seq;
        if (warmup) continue;
        latenciesMs.push(finished - started);
        midpointsUs.set(ack.seq, Math.round((performance.timeOrigin + (started + finished) / 2) * 1000));
      }
    },
  };
}

function appendShapedOptions(msgID: string, lastSubjectSequence: number) {
  const hdrs = headers();
  hdrs.set('Sbx-Type', 'bench.appended');
  return { msgID, headers: hdrs, expect: { lastSubjectSequence } };
}

/**
 * One hop through a work-queue stream: publish until a durable pull consumer, set up like the
 * runtime's workers, receives the message. Each tool job and each tool result in a step makes this hop.
 */
export async function workQueueHopSampler(nc: NatsConnection, options: { payloadBytes: number }): Promise<Sampler & { close(): Promise<void> }> {
  const stream = 'BENCH_HOP';
  const subject = 'bench.hop';
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File, retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(stream, { durable_name: 'hop', ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
  const js = jetstream(nc);
  const messages = await (await js.consumers.get(stream, 'hop')).consume({ max_messages: 16 });
  let arrived: ((at: number) => void) | undefined;
  const receiving = (async () => {
    for await (const message of messages) {
      const at = performance.now();
      message.ack();
      arrived?.(at);
    }
  })();
  const payload = new Uint8Array(options.payloadBytes).fill(0x62);
  const latenciesMs: number[] = [];
  return {
    latenciesMs,
    sample: async (count, { warmup = false } = {}) => {
      for (let index = 0; index < count; index++) {
        const received = new Promise<number>((resolve) => (arrived = resolve));
        const started = performance.now();
        await js.publish(subject, payload);
        const at = await received;
        if (!warmup) latenciesMs.push(at - started);
      }
    },
    close: async () => {
      await messages.close();
      await receiving;
    },
  };
}

/**
 * How far the server's message timestamps run ahead of `microClock`, in µs, estimated from the
 * recorded publishes (the fastest fifth, where publish and ack bracket the store time most tightly).
 */
export async function serverClockOffsetUs(nc: NatsConnection, sampler: PublishAckSampler): Promise<number> {
  const sequences = [...sampler.midpointsUs.keys()];
  const stamps = await storedTimestampsUs(nc, sampler.stream, Math.max(...sequences));
  const fastest = sequences
    .map((seq, index) => ({ seq, latency: sampler.latenciesMs[index] ?? Infinity }))
    .sort((a, b) => a.latency - b.latency)
    .slice(0, Math.max(1, Math.floor(sequences.length / 5)));
  const offsets = fastest.flatMap(({ seq }) => {
    const stored = stamps.get(seq);
    const midpoint = sampler.midpointsUs.get(seq);
    return stored !== undefined && midpoint !== undefined ? [stored - midpoint] : [];
  });
  return median(offsets);
}

/** Server store time (µs since the epoch) of every message in `stream` up to `lastSeq`, by sequence. */
async function storedTimestampsUs(nc: NatsConnection, stream: string, lastSeq: number): Promise<Map<number, number>> {
  const stamps = new Map<number, number>();
  const messages = await (await jetstream(nc).consumers.get(stream)).consume();
  try {
    for await (const message of messages) {
      stamps.set(message.seq, Number(message.timestampNanos / 1000n));
      if (message.seq >= lastSeq) break;
    }
  } finally {
    await messages.close();
  }
  return stamps;
}
