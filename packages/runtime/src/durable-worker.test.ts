import { setTimeout as sleep } from 'node:timers/promises';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { deadLetterObjectHeader, decode, deliveriesHeader, errorHeader, naming, sourceSubjectHeader } from '@signalbox/events';
import { DeadLetterBodies, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rejection } from './dead-letter.ts';

function overflow(depth: number): number {
  return overflow(depth + 1) + 1;
}
import { startDurableWorker, type DurableWorkerOptions, type RunningWorker } from './durable-worker.ts';
import { createLogger } from './logger.ts';

const names = naming('sbx');
const stream = names.streams.jobs;
const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

/**
 * Each test works on its own lane of the jobs stream: a durable, the subjects it filters and a
 * dead-letter source. A work queue allows one consumer per subject, so lanes must not overlap.
 */
function lane(name: string) {
  return {
    durable: `test-${name}`,
    filterSubject: `sbx.jobs.test.${name}.>`,
    subject: `sbx.jobs.test.${name}.job`,
    deadLetterSource: `test-${name}`,
  };
}
type Lane = ReturnType<typeof lane>;

type WorkerOptions = Partial<DurableWorkerOptions> & Pick<DurableWorkerOptions, 'handle'>;

async function startWorker(on: Lane, options: WorkerOptions): Promise<RunningWorker> {
  const worker = await startDurableWorker({
    nc,
    names,
    logger,
    stream,
    durable: on.durable,
    filterSubject: on.filterSubject,
    deadLetterSource: on.deadLetterSource,
    ...options,
  });
  workers.push(worker);
  return worker;
}

/** Waits for a promise, failing with what was awaited instead of hanging until the test times out. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls server state that has no event to await (acks are fire-and-forget), up to a deadline. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Messages still held by the work-queue stream under a lane's subjects: acked ones are gone. */
async function messagesLeft(on: Lane): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: on.filterSubject });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

const drained = (on: Lane) => eventually(async () => (await messagesLeft(on)) === 0, `${on.filterSubject} to be empty`);

const deadLetterOf = (on: Lane) => jsm.streams.getMessage(names.streams.dlq, { last_by_subj: names.subjects.dlq(on.deadLetterSource) });

describe('startDurableWorker', () => {
  it('acks a message once its handler resolves', async () => {
    const on = lane('ack');
    const handled: string[] = [];
    const done = Promise.withResolvers<void>();
    await startWorker(on, {
      handle: async (message) => {
        handled.push(message.string());
        done.resolve();
      },
    });

    await js.publish(on.subject, 'hello');
    await within(done.promise, 'the handler to run');
    await drained(on);
    expect(handled).toEqual(['hello']);
    expect(await deadLetterOf(on)).toBeNull();
  });

  it('creates its durable again when it vanishes under the running worker', async () => {
    const on = lane('vanish');
    const done = Promise.withResolvers<void>();
    await startWorker(on, { handle: async () => done.resolve() });
    await jsm.consumers.delete(stream, on.durable);

    await js.publish(on.subject, 'after');
    await within(done.promise, 'the handler to run on the durable made again', 15_000);
    await drained(on);
  });

  it('retries a handler that throws, with a growing delivery count, and acks once it succeeds', async () => {
    const on = lane('retry');
    const deliveries: number[] = [];
    const done = Promise.withResolvers<void>();
    await startWorker(on, {
      retryBackoffMs: () => 10,
      handle: async (message) => {
        deliveries.push(message.info.deliveryCount);
        if (message.info.deliveryCount < 3) throw new Error('flaky downstream');
        done.resolve();
      },
    });

    await js.publish(on.subject, 'try again');
    await within(done.promise, 'the third delivery to succeed');
    await drained(on);
    expect(deliveries).toEqual([1, 2, 3]);
    expect(await deadLetterOf(on)).toBeNull();
  });

  it('dead-letters a Rejection at once, byte for byte with its headers and the reason', async () => {
    const on = lane('reject');
    const data = Uint8Array.of(0, 159, 146, 150, 255); // not UTF-8: the bytes must survive as they are
    const hdrs = headers();
    hdrs.set('Content-Type', 'application/octet-stream');
    hdrs.set('X-Trace', 'trace-1');
    let calls = 0;
    const buried = Promise.withResolvers<{ subject: string; reason: string }>();
    await startWorker(on, {
      handle: async () => {
        calls++;
        throw new Rejection('unknown widget "w-9"');
      },
      onDeadLetter: async (message, reason) => buried.resolve({ subject: message.subject, reason }),
    });

    await js.publish(on.subject, data, { headers: hdrs });
    expect(await within(buried.promise, 'onDeadLetter')).toEqual({ subject: on.subject, reason: 'unknown widget "w-9"' });
    await drained(on);
    expect(calls).toBe(1);

    const letter = await deadLetterOf(on);
    expect(letter?.subject).toBe('sbx.dlq.test-reject');
    expect(letter?.data).toEqual(data);
    expect(letter?.header.get(errorHeader)).toBe('unknown widget "w-9"');
    expect(letter?.header.get(sourceSubjectHeader)).toBe(on.subject);
    expect(letter?.header.get(deliveriesHeader)).toBe('1');
    expect(letter?.header.get('Content-Type')).toBe('application/octet-stream');
    expect(letter?.header.get('X-Trace')).toBe('trace-1');
  });

  it.each([
    ['a DecodeError', () => decode(z.object({}), Uint8Array.of(0x91, 0x91, 0x91), 'widget', { maxDepth: 2, maxBytes: 100 }), 'cannot decode widget: nested more than 2 deep'],
    ['a stack overflow', () => overflow(0), 'Maximum call stack size exceeded'],
    ['an error caused by a Rejection', () => { throw new Error('wrapped', { cause: new Rejection('no such widget') }); }, 'wrapped'],
  ])('dead-letters %s at once, as permanent as a Rejection', async (_case, fail, reason) => {
    const on = lane(`permanent-${reason.length}`);
    let calls = 0;
    const buried = Promise.withResolvers<string>();
    await startWorker(on, {
      retryBackoffMs: () => 10,
      handle: async () => {
        calls++;
        fail();
      },
      onDeadLetter: async (_message, why) => buried.resolve(why),
    });

    await js.publish(on.subject, 'poison');
    expect(await within(buried.promise, 'onDeadLetter')).toBe(reason);
    await drained(on);
    expect(calls).toBe(1);
    expect((await deadLetterOf(on))?.header.get(deliveriesHeader)).toBe('1');
  });

  it('keeps a body too large to copy into the dead-letter stream in the object store, and acks it', async () => {
    const on = lane('huge');
    const data = new Uint8Array(1024 * 1024 - 300).fill(7);
    const buried = Promise.withResolvers<void>();
    await startWorker(on, {
      handle: async () => {
        throw new Rejection('too large for a widget');
      },
      onDeadLetter: async () => buried.resolve(),
    });

    await js.publish(on.subject, data);
    await within(buried.promise, 'onDeadLetter');
    await drained(on);
    const letter = await deadLetterOf(on);
    expect(letter?.data).toHaveLength(0);
    const object = letter?.header.get(deadLetterObjectHeader) ?? '';
    expect(object).toMatch(/^test-huge\/SBX_JOBS\/\d+$/);
    expect(await new DeadLetterBodies(nc, names).get(object)).toEqual(data);
  });

  it('dead-letters a message that keeps failing after maxDeliver attempts', async () => {
    const on = lane('exhaust');
    const deliveries: number[] = [];
    const buried = Promise.withResolvers<string>();
    await startWorker(on, {
      maxDeliver: 3,
      retryBackoffMs: () => 10,
      handle: async (message) => {
        deliveries.push(message.info.deliveryCount);
        throw new Error('still broken');
      },
      onDeadLetter: async (_message, reason) => buried.resolve(reason),
    });

    await js.publish(on.subject, 'doomed');
    expect(await within(buried.promise, 'onDeadLetter')).toBe('failed 3 times; last error: still broken');
    await drained(on);
    expect(deliveries).toEqual([1, 2, 3]);
    const letter = await deadLetterOf(on);
    expect(letter?.string()).toBe('doomed');
    expect(letter?.header.get(errorHeader)).toBe('failed 3 times; last error: still broken');
    expect(letter?.header.get(deliveriesHeader)).toBe('3');
  });

  it('dead-letters a message delivered more than maxDeliver times without running the handler again', async () => {
    // A message that kills its worker mid-handle never reaches the worker's catch; simulate those
    // deaths by taking two deliveries on the same durable and giving them back unfinished.
    const on = lane('poison');
    await js.publish(on.subject, 'poison pill');
    await jsm.consumers.add(stream, { durable_name: on.durable, filter_subject: on.filterSubject, ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get(stream, on.durable);
    for (const delivery of [1, 2]) {
      const message = await consumer.next({ expires: 5_000 });
      expect(message?.info.deliveryCount).toBe(delivery);
      message?.nak();
    }

    let calls = 0;
    const buried = Promise.withResolvers<string>();
    await startWorker(on, {
      maxDeliver: 2,
      handle: async () => void calls++,
      onDeadLetter: async (_message, reason) => buried.resolve(reason),
    });

    expect(await within(buried.promise, 'onDeadLetter')).toBe('not processed after 2 deliveries');
    await drained(on);
    expect(calls).toBe(0);
    expect((await deadLetterOf(on))?.header.get(deliveriesHeader)).toBe('3');
  });

  it('splits messages between workers sharing a durable, each message processed exactly once', async () => {
    const on = lane('shared');
    const count = 20;
    const processed = new Map<string, string[]>();
    const busy = new Set<string>();
    const bothBusy = Promise.withResolvers<void>();
    const allDone = Promise.withResolvers<void>();
    const handler = (worker: string) => async (message: JsMsg) => {
      // Hold every message until both workers hold one, so neither can take the whole queue.
      busy.add(worker);
      if (busy.size === 2) bothBusy.resolve();
      await within(bothBusy.promise, 'both workers to receive a message');
      processed.set(message.string(), [...(processed.get(message.string()) ?? []), worker]);
      if (processed.size === count) allDone.resolve();
    };
    await startWorker(on, { concurrency: 2, handle: handler('a') });
    await startWorker(on, { concurrency: 2, handle: handler('b') });

    await Promise.all(Array.from({ length: count }, (_, i) => js.publish(on.subject, `job-${i}`)));
    await within(allDone.promise, `all ${count} messages to be processed`);
    await drained(on);

    expect([...processed.keys()].sort()).toEqual(Array.from({ length: count }, (_, i) => `job-${i}`).sort());
    expect([...processed.values()].filter((by) => by.length !== 1)).toEqual([]);
    const byWorker = [...processed.values()].flat();
    expect(byWorker.filter((worker) => worker === 'a').length).toBeGreaterThan(0);
    expect(byWorker.filter((worker) => worker === 'b').length).toBeGreaterThan(0);
  });

  it('stop() lets in-flight work finish, handles what it was already sent, and pulls nothing after', async () => {
    const on = lane('stop');
    const started = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const handled: string[] = [];
    const worker = await startWorker(on, {
      handle: async (message) => {
        handled.push(message.string());
        started.resolve();
        await release.promise;
      },
    });

    await js.publish(on.subject, 'in flight');
    await within(started.promise, 'the handler to start');
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    // The worker's open pull may still take this one: then it is handled before stop() returns.
    await js.publish(on.subject, 'while stopping');
    await nc.flush();
    expect(stopped).toBe(false);

    release.resolve();
    await within(stopping, 'stop() to resolve');
    await js.publish(on.subject, 'after stop');

    // Everything the stopped worker did not handle reaches a new worker as a first delivery: nothing was dropped.
    const next: { data: string; deliveries: number }[] = [];
    await startWorker(on, { handle: async (message) => void next.push({ data: message.string(), deliveries: message.info.deliveryCount }) });
    await drained(on);
    expect(handled[0]).toBe('in flight');
    expect(handled).not.toContain('after stop');
    expect([...handled, ...next.map((message) => message.data)].sort()).toEqual(['after stop', 'in flight', 'while stopping']);
    expect(next.every((message) => message.deliveries === 1)).toBe(true);
  });

  it('stop() under a backlog strands nothing: the next worker finishes it without waiting out the ack wait', async () => {
    // Without a drain, the messages on the wire when the worker unsubscribes were dropped by the client and
    // waited out the ack wait: in most rounds here, up to a whole pull batch.
    for (let round = 1; round <= 3; round++) {
      const on = lane(`stop-backlog-${round}`);
      await Promise.all(Array.from({ length: 1_500 }, (_, index) => js.publish(on.subject, String(index))));
      const ownConnection = await connect({ servers: server.url });
      // A millisecond a message: the backlog outlasts the 30 ms before the stop, however fast the machine.
      const worker = await startWorker(on, { nc: ownConnection, handle: () => sleep(1) });
      await sleep(30);
      await worker.stop();
      await ownConnection.drain();
      expect(await messagesLeft(on)).toBeGreaterThan(0);

      await startWorker(on, { handle: async () => {} });
      await drained(on);
    }
  });

  it('keeps a long handler’s message from being redelivered by sending in-progress acks', async () => {
    const on = lane('long');
    const deliveries: number[] = [];
    const done = Promise.withResolvers<void>();
    await startWorker(on, {
      ackWaitMs: 500,
      handle: async (message) => {
        deliveries.push(message.info.deliveryCount);
        await sleep(1_500); // three ack waits of work, not synchronisation
        done.resolve();
      },
    });

    await js.publish(on.subject, 'slow job');
    await within(done.promise, 'the long handler to finish');
    await drained(on);
    expect(deliveries).toEqual([1]);
    const info = await jsm.consumers.info(stream, on.durable);
    expect(info.delivered.consumer_seq).toBe(1);
    expect(info.num_redelivered).toBe(0);
  });
});
