import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { encode, encodeEvent, eventVersion, naming, type SessionEvent } from '@signalbox/events';
import { openEventReader, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfig } from './config.ts';
import { partitionDurable, startEventSubscriber, type Delivery, type EventSubscriberOptions, type RunningSubscriber } from './event-subscriber.ts';
import { createLogger } from './logger.ts';

const names = naming('sbx');
const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });
const partitions = 8;
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
const connections: NatsConnection[] = [];
const running: RunningSubscriber[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names, { eventPartitions: partitions });
  js = jetstream(nc);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((subscriber) => subscriber.stop()));
  await Promise.all(connections.splice(0).map((connection) => connection.close()));
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

interface Handed {
  sessionId: string;
  n: number;
  source: Delivery['source'];
  replica: string;
}

/** A replica of `group` on its own connection, recording what it is handed for sessions starting with `sessions`. */
async function replica(group: string, instance: string, sessions: string, handed: Handed[], options: Partial<EventSubscriberOptions> = {}) {
  const connection = await connect({ servers: server.url });
  connections.push(connection);
  const config = RuntimeConfig.parse({ instance, eventPartitions: partitions, logLevel: 'silent' });
  const context = { nc: connection, names, config, logger, store: await openEventReader(connection, names) };
  const subscriber = await startEventSubscriber(context, {
    group,
    heartbeatMs: 100,
    takeoverMs: 1_000,
    ackWaitMs: 1_000,
    handle: async (event, delivery) => {
      if (event.sessionId.startsWith(sessions)) handed.push({ sessionId: event.sessionId, n: event.n, source: delivery.source, replica: instance });
    },
    ...options,
  });
  running.push(subscriber);
  return subscriber;
}

function submitted(sessionId: string, n: number): SessionEvent {
  const type = 'outcome.submitted';
  const base = { id: `${sessionId}-${n}`, v: eventVersion(type), sessionId, n, at: n, causationId: null, correlationId: sessionId };
  return { ...base, by: { service: 'test', instance: 'test' }, type, data: { attempt: 1, output: `event ${n}`, files: [] } };
}

async function append(sessionIds: readonly string[], fromN: number, toN: number): Promise<void> {
  for (let n = fromN; n <= toN; n++) {
    await Promise.all(sessionIds.map((id) => js.publish(names.subjects.events(id), encodeEvent(submitted(id, n)), { msgID: `${id}/${n}` })));
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

const idsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}`);
const numbersOf = (handed: Handed[], sessionId: string, source?: Delivery['source']) =>
  handed.filter((entry) => entry.sessionId === sessionId && (!source || entry.source === source)).map((entry) => entry.n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('the event subscriber', () => {
  it('shares the partitions between replicas and hands each session’s events on once, in order', async () => {
    const handed: Handed[] = [];
    const a = await replica('share', 'r1', 'share-', handed);
    const b = await replica('share', 'r2', 'share-', handed);
    await until(() => a.partitions().length + b.partitions().length === partitions && a.partitions().every((p) => !b.partitions().includes(p)));
    // A released partition is drained and unpinned after it leaves partitions(): let that finish.
    await sleep(500);
    expect(a.partitions().length).toBeGreaterThan(0);
    expect(b.partitions().length).toBeGreaterThan(0);

    const sessions = idsOf('share-', 24);
    await append(sessions, 1, 5);
    await until(() => handed.length >= sessions.length * 5);
    await sleep(200);
    for (const id of sessions) {
      expect(numbersOf(handed, id)).toStrictEqual(range(1, 5));
      expect(new Set(handed.filter((entry) => entry.sessionId === id).map((entry) => entry.replica)).size).toBe(1);
    }
    expect(new Set(handed.map((entry) => entry.replica))).toStrictEqual(new Set(['r1', 'r2']));
  });

  it('resumes from its own position after a restart, loading from the log only the sessions it meets mid-log', async () => {
    const handed: Handed[] = [];
    const sessions = idsOf('resume-', 6);
    const first = await replica('resume', 'r1', 'resume-', handed);
    await append(sessions, 1, 3);
    await until(() => handed.length >= 18);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    await append(sessions, 4, 5);

    const after: Handed[] = [];
    await replica('resume', 'r2', 'resume-', after);
    await until(() => after.length >= 30);
    await sleep(200);
    for (const id of sessions) {
      // The stream resumes at event 4: nothing before it comes again from the stream.
      expect(numbersOf(after, id, 'stream')).toStrictEqual([4, 5]);
      // A new replica has not seen the session: its earlier events come from the log, first.
      expect(numbersOf(after, id)).toStrictEqual(range(1, 5));
    }
  });

  it('hands on each event of a message that carries one decision’s events, in order', async () => {
    const handed: Handed[] = [];
    await replica('decisions', 'd1', 'decision-', handed);
    await append(['decision-0'], 1, 1);
    await js.publish(names.subjects.events('decision-0'), encode([submitted('decision-0', 2), submitted('decision-0', 3)]), { msgID: 'decision-0/2' });
    await append(['decision-0'], 4, 4);
    await until(() => handed.length >= 4);
    expect(numbersOf(handed, 'decision-0')).toStrictEqual([1, 2, 3, 4]);
  });

  it('starts a partition afresh when its durable vanishes, handing nothing on twice', async () => {
    const handed: Handed[] = [];
    await replica('vanishing', 'v1', 'vanish-', handed);
    const sessions = idsOf('vanish-', 8);
    await append(sessions, 1, 2);
    await until(() => handed.length >= 16);
    const jsm = await jetstreamManager(nc);
    for (let partition = 0; partition < partitions; partition++) await jsm.consumers.delete(names.streams.eventPartitions, partitionDurable('vanishing', partition));
    await append(sessions, 3, 3);
    await until(() => handed.length >= 24);
    await sleep(300);
    for (const id of sessions) expect(numbersOf(handed, id)).toStrictEqual([1, 2, 3]);
  });

  it('dead-letters a message it cannot decode and goes on with the partition', async () => {
    const handed: Handed[] = [];
    await replica('undecodable', 'u1', 'junk-', handed);
    await js.publish(names.subjects.events('junk-0'), new TextEncoder().encode('not an event'));
    await append(['junk-0'], 1, 2);
    await until(() => handed.length >= 2);
    expect(numbersOf(handed, 'junk-0')).toStrictEqual([1, 2]);
    const jsm = await jetstreamManager(nc);
    const letter = await jsm.streams.getMessage(names.streams.dlq, { last_by_subj: names.subjects.dlq('subscriber.undecodable') });
    expect(new TextDecoder().decode(letter?.data)).toBe('not an event');
  });

  it('retries a handler that throws, then dead-letters the event and moves the session on', async () => {
    const handed: Handed[] = [];
    const attempts: number[] = [];
    await replica('failing', 'f1', 'fail-', handed, {
      maxDeliver: 3,
      retryBackoffMs: () => 10,
      handle: async (event, delivery) => {
        if (!event.sessionId.startsWith('fail-')) return;
        if (event.n === 2) {
          attempts.push(delivery.attempt);
          throw new Error('cannot handle event 2');
        }
        handed.push({ sessionId: event.sessionId, n: event.n, source: delivery.source, replica: 'f1' });
      },
    });
    await append(['fail-0'], 1, 3);
    await until(() => handed.length >= 2);
    expect(attempts).toStrictEqual([1, 2, 3]);
    expect(numbersOf(handed, 'fail-0')).toStrictEqual([1, 3]);
    const jsm = await jetstreamManager(nc);
    const letter = await jsm.streams.getMessage(names.streams.dlq, { last_by_subj: names.subjects.dlq('subscriber.failing') });
    expect(letter?.subject).toBe(names.subjects.dlq('subscriber.failing'));
  });
});
