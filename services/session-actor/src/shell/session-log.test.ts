import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { sessionStateVersion, type SessionCommand, type SessionState } from '@signalbox/session';
import { EventStore, provision, SnapshotStore, TranscriptStore } from '@signalbox/store';
import { countingCalls, startNatsServer, type NatsServer } from '@signalbox/testing';
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerAgent, readerTools } from './runner-fixture.ts';
import { SessionLog } from './session-log.ts';
import { SessionSnapshots } from './session-snapshots.ts';

const names = naming('sbx');
const [agent, tools] = [readerAgent, readerTools];

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

const start = (sessionId: string, input = 'read'): SessionCommand => ({ type: 'StartSession', sessionId, correlationId: sessionId, agent, tools, input, budget: agent.budget });

/** A session log as a new actor process has it (empty cache), counting its reads of the log's head, of whole logs and of snapshots. */
async function freshLog(instance: string) {
  const store = await EventStore.open(nc, names);
  const heads = countingCalls(store, 'head');
  const loads = countingCalls(heads.proxy, 'load');
  const counted = loads.proxy;
  const snapshotStore = await SnapshotStore.open<SessionState>(nc, names, { stateVersion: sessionStateVersion });
  const snapshotReads = countingCalls(snapshotStore, 'read');
  const transcripts = await TranscriptStore.open(nc, names);
  const logger = createLogger({ service: 'session-actor', instance, level: 'silent' });
  const snapshots = new SessionSnapshots({ store: counted, snapshots: snapshotReads.proxy, transcripts, logger, every: 50 });
  const log = new SessionLog({ store: counted, snapshots, transcripts, sessionIndex: await new Kvm(nc).open(names.buckets.sessions), logger, instance, clock: Date.now, newId: monotonicFactory() });
  return { log, store, reads: () => heads.calls() + loads.calls() + snapshotReads.calls() };
}

describe('a session log starting a session', () => {
  it('records a new session without reading its head, its log or its snapshot', async () => {
    const { log, store, reads } = await freshLog('a');
    const recorded = await log.record('fresh', start('fresh'), 'task/1');
    expect(reads()).toBe(0);
    expect(recorded.appended).toBeGreaterThan(0);
    expect((await store.read('fresh')).map((event) => event.type).slice(0, 1)).toEqual(['session.created']);
  });

  it('records nothing over a session that exists, and decides on the session as it is', async () => {
    const first = await freshLog('a');
    await first.log.record('taken', start('taken', 'the first task'), 'task/1');
    const before = await first.store.read('taken');
    // Another process (its cache empty) is handed a task for the same session: a redelivery, or an id used twice.
    const other = await freshLog('b');
    const recorded = await other.log.record('taken', start('taken', 'another task'), 'task/2');
    expect(recorded.appended).toBe(0);
    expect(recorded.session.state).toMatchObject({ status: 'awaiting_model', n: before.length });
    expect(await other.store.read('taken')).toEqual(before);
    expect(other.reads()).toBeGreaterThan(0);
    // What it now holds is the session as it stands: the next command is decided on it, not on a new one.
    const again = await other.log.record('taken', start('taken', 'a third task'), 'task/3');
    expect(again.appended).toBe(0);
  });

  it('decides a command other than a start on the session as loaded, not as new', async () => {
    const first = await freshLog('a');
    await first.log.record('paused-elsewhere', start('paused-elsewhere'), 'task/1');
    const other = await freshLog('b');
    const recorded = await other.log.record('paused-elsewhere', { type: 'PauseSession', reason: 'a look first', by: 'operator' }, 'cmd/1');
    expect(other.reads()).toBeGreaterThan(0);
    expect(recorded.appended).toBe(1);
    expect(recorded.session.state).toMatchObject({ paused: expect.anything() });
  });
});
