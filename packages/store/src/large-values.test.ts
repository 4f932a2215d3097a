import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { countingCalls, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LargeValues, MissingPartsError, partBytes } from './large-values.ts';

let server: NatsServer;
let nc: NatsConnection;
let kv: KV;
let values: LargeValues;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  kv = await new Kvm(nc).create('large-values-test', { history: 1 });
  values = new LargeValues(kv);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

/** As a Buffer, which is what randomBytes gives: toEqual tells a Buffer from a Uint8Array. */
const bytes = (value: Uint8Array | undefined) => (value ? Buffer.from(value) : undefined);

/**
 * Random bytes stored whole under their key: a value beginning with the manifest's tag (0xc1, one random value
 * in 256) is stored behind a manifest with a part, which would make a key listing flaky.
 */
function smallValue(length: number): Buffer {
  const value = randomBytes(length);
  value[0] = 0x92;
  return value;
}

async function keys(): Promise<string[]> {
  const found: string[] = [];
  for await (const key of await kv.keys()) found.push(key);
  return found.sort();
}

describe('LargeValues', () => {
  it('keeps a value that fits in one message under its key as it is', async () => {
    const small = smallValue(1_000);
    await values.put('small', small);
    expect(bytes((await kv.get('small'))?.value)).toEqual(small);
    expect(bytes(await values.get('small'))).toEqual(small);
  });

  it('reads back whole a small value that begins with the manifest byte (stored behind a manifest)', async () => {
    const tagged = Buffer.concat([Buffer.from([0xc1]), randomBytes(99)]);
    await values.put('tagged', tagged);
    expect(bytes(await values.get('tagged'))).toEqual(tagged);
  });

  it('stores a value larger than a NATS message in parts, and reads it back whole', async () => {
    const large = randomBytes(2 * partBytes + 1_234);
    await values.put('large', large);
    expect(bytes(await values.get('large'))).toEqual(large);
    expect((await keys()).filter((key) => key.startsWith('large.'))).toHaveLength(3);
  });

  it('removes the parts of the value a write replaces, and all of them on purge', async () => {
    await values.put('replaced', randomBytes(3 * partBytes));
    await values.put('replaced', randomBytes(partBytes + 1));
    expect((await keys()).filter((key) => key.startsWith('replaced.'))).toHaveLength(2);
    await values.put('replaced', smallValue(10));
    expect((await keys()).filter((key) => key.startsWith('replaced'))).toEqual(['replaced']);
    await values.put('replaced', randomBytes(partBytes + 1));
    await values.purge('replaced');
    expect(await values.get('replaced')).toBeUndefined();
    expect((await keys()).filter((key) => key.startsWith('replaced'))).toEqual([]);
  });

  it('says so when a part is missing rather than return a partial value', async () => {
    await values.put('torn', randomBytes(partBytes + 1));
    const part = (await keys()).find((key) => key.startsWith('torn.'));
    await kv.purge(part ?? '');
    await expect(values.get('torn')).rejects.toThrow(MissingPartsError);
  });

  it('creates a key only once and updates it only at the revision read, large values too, leaving no parts of a refused write', async () => {
    const first = randomBytes(partBytes + 10);
    expect(await values.create('checked', first)).toBe(true);
    expect(await values.create('checked', randomBytes(partBytes + 10))).toBe(false);
    const read = await values.getWithRevision('checked');
    expect(bytes(read?.value)).toEqual(first);
    const second = smallValue(20);
    expect(await values.update('checked', second, read?.revision ?? 0)).toBe(true);
    expect(await values.update('checked', randomBytes(partBytes + 10), read?.revision ?? 0)).toBe(false);
    expect(bytes(await values.get('checked'))).toEqual(second);
    expect((await keys()).filter((key) => key.startsWith('checked'))).toEqual(['checked']);
  });

  it('replaces a value it wrote itself without reading it back, its parts removed all the same', async () => {
    const counted = countingCalls(kv, 'get');
    const writer = new LargeValues(counted.proxy);
    await writer.put('own', randomBytes(2 * partBytes));
    const readsAfterFirst = counted.calls();
    await writer.put('own', randomBytes(partBytes + 1));
    await writer.put('own', smallValue(10));
    expect(counted.calls()).toBe(readsAfterFirst);
    expect((await keys()).filter((key) => key.startsWith('own'))).toEqual(['own']);
  });

  it("reads the key again when another writer came between, and removes that writer's parts", async () => {
    const [first, second] = [new LargeValues(kv), new LargeValues(kv)];
    await first.put('shared', randomBytes(partBytes + 1));
    await second.put('shared', randomBytes(2 * partBytes + 1));
    const last = smallValue(10);
    await first.put('shared', last);
    expect(bytes(await second.get('shared'))).toEqual(last);
    expect((await keys()).filter((key) => key.startsWith('shared'))).toEqual(['shared']);
    // And after a purge by another writer, a write creates the key again.
    await second.purge('shared');
    await first.put('shared', randomBytes(partBytes + 1));
    expect((await keys()).filter((key) => key.startsWith('shared.'))).toHaveLength(2);
  });

  it('writes a key it read as absent without reading it again, and purges what it wrote without reading it', async () => {
    const counted = countingCalls(kv, 'get');
    const writer = new LargeValues(counted.proxy);
    expect(await writer.get('fresh')).toBeUndefined();
    await writer.put('fresh', randomBytes(2 * partBytes));
    await writer.purge('fresh');
    expect(counted.calls()).toBe(1);
    expect((await keys()).filter((key) => key.startsWith('fresh'))).toEqual([]);
    expect(await values.get('fresh')).toBeUndefined();
  });

  it('replaces a value it read without reading it back', async () => {
    await values.put('read-first', randomBytes(partBytes + 1));
    const counted = countingCalls(kv, 'get');
    const reader = new LargeValues(counted.proxy);
    await reader.get('read-first');
    const last = smallValue(10);
    await reader.put('read-first', last);
    expect(counted.calls()).toBe(3); // the get alone: the key and its two parts
    expect(bytes(await values.get('read-first'))).toEqual(last);
    expect((await keys()).filter((key) => key.startsWith('read-first'))).toEqual(['read-first']);
  });

  it('creates nothing over a key written since it was read as absent: the write reads it and replaces it, and its parts go', async () => {
    const [reader, other] = [new LargeValues(kv), new LargeValues(kv)];
    expect(await reader.get('raced')).toBeUndefined();
    await other.put('raced', randomBytes(partBytes + 1));
    const last = smallValue(10);
    await reader.put('raced', last);
    expect(bytes(await other.get('raced'))).toEqual(last);
    expect((await keys()).filter((key) => key.startsWith('raced'))).toEqual(['raced']);
  });

  it("purges by reading the key when another writer came between, leaving none of that writer's parts", async () => {
    const [first, second] = [new LargeValues(kv), new LargeValues(kv)];
    await first.put('purged', smallValue(10));
    await second.put('purged', randomBytes(2 * partBytes + 1));
    await first.purge('purged');
    expect((await keys()).filter((key) => key.startsWith('purged'))).toEqual([]);
    expect(await second.get('purged')).toBeUndefined();
  });

  it('creates a key it is told is absent without reading it', async () => {
    const counted = countingCalls(kv, 'get');
    const writer = new LargeValues(counted.proxy);
    writer.knownAbsent('told');
    await writer.put('told', randomBytes(partBytes + 1));
    expect(counted.calls()).toBe(0);
    expect((await keys()).filter((key) => key.startsWith('told.'))).toHaveLength(2);
  });

  it("replaces a key it was wrongly told is absent, reading it then, and removes that value's parts", async () => {
    await values.put('stale', randomBytes(2 * partBytes + 1));
    const writer = new LargeValues(kv);
    writer.knownAbsent('stale');
    const last = smallValue(10);
    await writer.put('stale', last);
    expect(bytes(await values.get('stale'))).toEqual(last);
    expect((await keys()).filter((key) => key.startsWith('stale'))).toEqual(['stale']);
  });

  it('answers undefined for a key that was never written', async () => {
    expect(await values.get('never')).toBeUndefined();
  });
});
