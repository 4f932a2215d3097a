import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, InboxCommand, naming, type NewEvent } from '@signalbox/events';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { emptyHead, EventStore, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logged } from './core/spec.ts';
import { toolDeadlineService } from './index.ts';

const names = naming('sbx');
const hourAgo = Date.now() - 3_600_000;
let server: NatsServer;
let nc: NatsConnection;
let store: EventStore;
let service: RunningService;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'tool-deadline-test');
  await provision(nc, names);
  store = await EventStore.open(nc, names);
  const logger = createLogger({ service: 'tool-deadline', instance: 'test', level: 'silent' });
  service = await toolDeadlineService({ deadlineMs: 60_000, checkEveryMs: 50 }).start({ nc, names, config: RuntimeConfig.parse({}), logger, store, metrics: createRuntimeMetrics('test') });
});
afterAll(async () => {
  await service?.stop();
  await nc?.close();
  await server?.dispose();
});

function requested(callId: string): NewEvent {
  return { type: 'tool.requested', data: { callId, tool: 'http.get', input: {}, idempotencyKey: `s1/${callId}` } };
}

describe('tool deadline service', () => {
  it('reads the log and answers an overdue call on the session inbox, once', async () => {
    const completed: NewEvent = { type: 'tool.completed', data: { callId: 'answered', tool: 'http.get', output: 'ok', durationMs: 1 } };
    await store.append('s1', [logged('s1', 1, hourAgo, requested('answered')), logged('s1', 2, hourAgo, completed), logged('s1', 3, hourAgo, requested('stuck'))], emptyHead);

    const jsm = await jetstreamManager(nc);
    const { name } = await jsm.consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox('s1'), ack_policy: AckPolicy.Explicit });
    const inbox = await jetstream(nc).consumers.get(names.streams.inbox, name);
    const message = await inbox.next({ expires: 5_000 });
    expect(message && decode(InboxCommand, message.data, 'inbox command')).toMatchObject({
      type: 'tool.result',
      sessionId: 's1',
      callId: 'stuck',
      outcome: { status: 'unknown' },
    });
    message?.ack();
    // The service keeps answering at every check until the session records the result: the stream keeps one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await jsm.consumers.info(names.streams.inbox, name)).num_pending).toBe(0);
    // It read the log through the event subscriber: its group's durables, one per partition, hold its position.
    const durables: string[] = [];
    for await (const info of jsm.consumers.list(names.streams.eventPartitions)) durables.push(info.name);
    expect(durables.filter((durable) => durable.startsWith('tool-deadline-p'))).toHaveLength(RuntimeConfig.parse({}).eventPartitions);
  });
});
