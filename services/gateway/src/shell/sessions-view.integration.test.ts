import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { SignalboxClient } from '@signalbox/client';
import { naming, type SessionIndexEntry } from '@signalbox/events';
import { connectNats, createLogger } from '@signalbox/runtime';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionsView } from './sessions-view.ts';

const names = naming('sbx');
const logged: string[] = [];
const logger = createLogger({ service: 'gateway', instance: 'view-test', level: 'error', destination: { write: (line: string) => void logged.push(line) } });
let server: NatsServer;
let nc: NatsConnection;
let kv: KV;
let client: SignalboxClient;

const row = (sessionId: string, createdAt: number, more: Partial<SessionIndexEntry> = {}): SessionIndexEntry => ({ sessionId, correlationId: sessionId, agent: 'scribe', status: 'running', createdAt, updatedAt: createdAt, lastN: 1, ...more });
const put = (entry: SessionIndexEntry) => kv.put(entry.sessionId, JSON.stringify(entry));
const ids = async (view: SessionsView) => (await view.rows()).map((entry) => entry.sessionId);

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'sessions-view-test');
  await provision(nc, names);
  kv = await new Kvm(nc).open(names.buckets.sessions);
  client = await SignalboxClient.open(nc);
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

describe('the gateway’s view of the sessions index', () => {
  it('opens on an empty index, then holds what is written, changed and deleted, newest first, leaving out rows it cannot read', async () => {
    const view = await SessionsView.open(nc, names, client, logger);
    expect(await view.rows()).toEqual([]);
    await put(row('older', 1));
    await put(row('newer', 2));
    await kv.put('garbled', '{"sessionId": 42');
    await expect.poll(() => ids(view)).toEqual(['newer', 'older']);
    await put(row('older', 1, { status: 'succeeded', costUsd: 0.5 }));
    await kv.delete('newer');
    await expect.poll(async () => (await view.rows()).map((entry) => `${entry.sessionId}:${entry.status}`)).toEqual(['older:succeeded']);
    await view.stop();
  });

  it('starts with every row already stored, and after a stop lists by reading the whole index, never stale', async () => {
    await put(row('third', 3));
    const view = await SessionsView.open(nc, names, client, logger);
    expect(await ids(view)).toEqual(['third', 'older']);
    expect(await ids(view)).toEqual(await client.sessions().then((rows) => rows.map((entry) => entry.sessionId)));
    await view.stop();
    expect(logged).toEqual([]);
  });
});
