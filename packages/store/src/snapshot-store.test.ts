import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, DecodeError, encode, naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
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

  it('reads a snapshot written before fields were encoded once (format 1)', async () => {
    await bucket.put('c7', encode({ v: 1, stateVersion: 1, n: 3, seq: 9, state: { count: 3, seen: ['x'] } }));
    expect(await snapshots.read('c7')).toEqual({ n: 3, seq: 9, state: { count: 3, seen: ['x'] } });
  });

  it('treats a deleted snapshot as none', async () => {
    await snapshots.write('c6', { n: 5, seq: 5, state: { count: 5, seen: [] } });
    await bucket.delete('c6');
    expect(await snapshots.read('c6')).toBeUndefined();
  });
});

describe('SnapshotStore with fields encoded once', () => {
  interface Session {
    agent: { name: string; script: string[] };
    tools: { name: string }[];
    count: number;
    note?: string | null;
  }
  const agent = { name: 'writer', script: ['a', 'b'] };
  const tools = [{ name: 'noop' }];

  it('reads back the whole state, the fields once encoded in their place', async () => {
    const store = await SnapshotStore.open<Session>(nc, names, { stateVersion: 1, encodedOnce: ['agent', 'tools'] });
    await store.write('o1', { n: 5, seq: 7, state: { agent, tools, count: 5, note: null } });
    expect(await store.read('o1')).toEqual({ n: 5, seq: 7, state: { agent, tools, count: 5, note: null } });
    const stored = decode(z.object({ state: z.record(z.string(), z.unknown()), parts: z.record(z.string(), z.unknown()) }), (await bucket.get('o1'))!.value, 'o1');
    expect(Object.keys(stored.state)).toEqual(['count', 'note']);
    expect(Object.keys(stored.parts)).toEqual(['agent', 'tools']);
  });

  it('encodes an object once for all the snapshots that hold it, and a replaced object anew', async () => {
    const store = await SnapshotStore.open<Session>(nc, names, { stateVersion: 1, encodedOnce: ['agent'] });
    let reads = 0;
    // Each encoding of the agent reads `name`: no new reads, no new encoding.
    const counted = { script: ['a'], get name() {
      reads += 1;
      return 'writer';
    } };
    await store.write('o2', { n: 1, seq: 1, state: { agent: counted, tools, count: 1 } });
    const readsByOneEncoding = reads;
    expect(readsByOneEncoding).toBeGreaterThan(0);
    await store.write('o2', { n: 2, seq: 2, state: { agent: counted, tools, count: 2 } });
    await store.write('o3', { n: 1, seq: 3, state: { agent: counted, tools, count: 1 } });
    expect(reads).toBe(readsByOneEncoding);
    await store.write('o2', { n: 3, seq: 4, state: { agent: { ...agent, name: 'editor' }, tools, count: 3 } });
    expect((await store.read('o2'))?.state).toEqual({ agent: { name: 'editor', script: ['a', 'b'] }, tools, count: 3 });
    expect((await store.read('o3'))?.state).toEqual({ agent: { name: 'writer', script: ['a'] }, tools, count: 1 });
  });

  it('leaves a field that holds no object in the state', async () => {
    const store = await SnapshotStore.open<{ agent: string | null; count: number }>(nc, names, { stateVersion: 1, encodedOnce: ['agent', 'tools'] });
    await store.write('o4', { n: 1, seq: 1, state: { agent: null, count: 1 } });
    await store.write('o5', { n: 1, seq: 1, state: { agent: 'named', count: 1 } });
    expect((await store.read('o4'))?.state).toEqual({ agent: null, count: 1 });
    expect((await store.read('o5'))?.state).toEqual({ agent: 'named', count: 1 });
  });

  it('stores the state in the form its codec gives and reads it back as held; a form the codec refuses is unreadable', async () => {
    const codec = {
      stored: (state: Counter) => ({ ...state, seen: state.seen.join('|') }),
      restored: (stored: unknown) => {
        const { count, seen } = stored as { count: number; seen: unknown };
        if (typeof seen !== 'string') throw new Error('seen is not packed');
        return { count, seen: seen.split('|') };
      },
    };
    const store = await SnapshotStore.open<Counter>(nc, names, { stateVersion: 1, codec });
    await store.write('k1', { n: 2, seq: 4, state: { count: 2, seen: ['a', 'b'] } });
    expect(decode(z.object({ state: z.unknown() }), (await bucket.get('k1'))!.value, 'k1').state).toEqual({ count: 2, seen: 'a|b' });
    expect(await store.read('k1')).toEqual({ n: 2, seq: 4, state: { count: 2, seen: ['a', 'b'] } });
    await snapshots.write('k2', { n: 1, seq: 1, state: { count: 1, seen: ['a'] } });
    await expect(store.read('k2')).rejects.toThrow(/not packed/);
  });

  it('refuses a part that is not msgpack, or nests deeper than a stored value may, as it refuses the envelope', async () => {
    const store = await SnapshotStore.open<Session>(nc, names, { stateVersion: 1, encodedOnce: ['agent'] });
    await bucket.put('o6', encode({ v: 2, stateVersion: 1, n: 1, seq: 1, state: { count: 1 }, parts: { agent: new Uint8Array([0xc1]) } }));
    await expect(store.read('o6')).rejects.toThrow(/snapshot of o6, field agent/);
    const deep = new Uint8Array(200).fill(0x91); // 200 arrays, one inside the next
    await bucket.put('o7', encode({ v: 2, stateVersion: 1, n: 1, seq: 1, state: { count: 1 }, parts: { agent: deep } }));
    await expect(store.read('o7')).rejects.toBeInstanceOf(DecodeError);
    await bucket.put('o8', encode({ v: 2, stateVersion: 1, n: 1, seq: 1, state: { count: 1 }, parts: { agent: 'not bytes' } }));
    await expect(store.read('o8')).rejects.toBeInstanceOf(DecodeError);
  });
});
