import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { DecodeError, encode, naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision } from './provision.ts';
import { SnapshotStore } from './snapshot-store.ts';

interface Counter {
  count: number;
  seen: string[];
}

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let snapshots: SnapshotStore<Counter>;
let bucket: KV;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  snapshots = await SnapshotStore.open<Counter>(nc, names, { stateVersion: 1 });
  bucket = await new Kvm(nc).open(names.buckets.snapshots);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

describe('SnapshotStore', () => {
  it('keeps the latest snapshot of each session', async () => {
    expect(await snapshots.read('c1')).toBeUndefined();
    await snapshots.write('c1', { n: 50, seq: 120, state: { count: 50, seen: ['a'] } });
    await snapshots.write('c1', { n: 100, seq: 260, state: { count: 100, seen: ['a', 'b'] } });
    expect(await snapshots.read('c1')).toEqual({ n: 100, seq: 260, state: { count: 100, seen: ['a', 'b'] } });
  });

  it('ignores a snapshot of another state version, so a changed shape is replayed, not misread', async () => {
    await snapshots.write('c2', { n: 10, seq: 10, state: { count: 10, seen: [] } });
    const newer = await SnapshotStore.open<{ total: number }>(nc, names, { stateVersion: 2 });
    expect(await newer.read('c2')).toBeUndefined();
    await bucket.put('c3', encode({ v: 99, stateVersion: 1, n: 1, seq: 1, state: {} }));
    expect(await snapshots.read('c3')).toBeUndefined();
  });

  it('reports bytes that are not a snapshot instead of trusting them', async () => {
    await bucket.put('c4', new Uint8Array([0xc1, 0x00]));
    await expect(snapshots.read('c4')).rejects.toBeInstanceOf(DecodeError);
    await bucket.put('c5', encode({ v: 1, stateVersion: 1, n: 'ten', state: {} }));
    await expect(snapshots.read('c5')).rejects.toBeInstanceOf(DecodeError);
  });

  it('treats a deleted snapshot as none', async () => {
    await snapshots.write('c6', { n: 5, seq: 5, state: { count: 5, seen: [] } });
    await bucket.delete('c6');
    expect(await snapshots.read('c6')).toBeUndefined();
  });
});
