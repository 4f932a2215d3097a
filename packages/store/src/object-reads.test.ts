import { randomBytes } from 'node:crypto';
import type { ObjectResult, ObjectStore } from '@nats-io/obj';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectReadStalledError, readObject } from './object-reads.ts';

/** A store whose reads go as `plan` says, one entry a read: a read that stalls, or one that delivers `bytes`. */
function scriptedStore(plan: ('stall' | Uint8Array)[]) {
  const cancelled: number[] = [];
  let reads = 0;
  const store: Pick<ObjectStore, 'get'> = {
    get: () => {
      const read = reads++;
      const step = plan[read];
      if (step === undefined) throw new Error(`read ${read + 1} was not planned`);
      const data = new ReadableStream<Uint8Array>({
        start(controller) {
          if (step === 'stall') return;
          controller.enqueue(step);
          controller.close();
        },
        cancel() {
          cancelled.push(read + 1);
        },
      });
      return Promise.resolve({ info: {}, data, error: Promise.resolve(null) } as unknown as ObjectResult);
    },
  };
  return { store, cancelled, reads: () => reads };
}

describe('readObject when a read stalls', () => {
  it('gives up a read that receives nothing, cancels it and reads again on a fresh one', async () => {
    const { store, cancelled, reads } = scriptedStore(['stall', new Uint8Array([1, 2, 3])]);
    expect(await readObject(store, 'blob', 20)).toEqual(new Uint8Array([1, 2, 3]));
    expect(reads()).toBe(2);
    expect(cancelled).toEqual([1]);
  });

  it('fails with the reason after three stalled reads, each cancelled', async () => {
    const { store, cancelled } = scriptedStore(['stall', 'stall', 'stall']);
    const failure = await readObject(store, 'blob', 20).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ObjectReadStalledError);
    expect((failure as Error).message).toBe('reading object blob received nothing for 20 ms, 3 times');
    expect(cancelled).toEqual([1, 2, 3]);
  });

  it('passes on what the read itself failed with (a corrupt object), without reading again', async () => {
    let reads = 0;
    const store: Pick<ObjectStore, 'get'> = {
      get: () => {
        reads += 1;
        const corrupt = new Error('received a corrupt object, digests do not match');
        const data = new ReadableStream<Uint8Array>({ start: (controller) => controller.error(corrupt) });
        return Promise.resolve({ info: {}, data, error: Promise.reject(corrupt) } as unknown as ObjectResult);
      },
    };
    await expect(readObject(store, 'blob', 20)).rejects.toThrow('digests do not match');
    expect(reads).toBe(1);
  });
});

describe('readObject on a real object store', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    store = await new Objm(nc).create('object-reads');
  });
  afterAll(async () => {
    await nc.close();
    await server.dispose();
  });

  it('reads an object of many chunks whole, and an empty one', async () => {
    const large = new Uint8Array(randomBytes(300 * 1024));
    await store.putBlob({ name: 'large' }, large);
    await store.putBlob({ name: 'empty' }, new Uint8Array(0));
    expect(await readObject(store, 'large')).toEqual(large);
    expect(await readObject(store, 'empty')).toEqual(new Uint8Array(0));
  });

  it('is undefined for an object the store does not hold, or holds deleted', async () => {
    await store.putBlob({ name: 'gone' }, new Uint8Array([1]));
    await store.delete('gone');
    expect(await readObject(store, 'never-written')).toBeUndefined();
    expect(await readObject(store, 'gone')).toBeUndefined();
  });
});
