import { Socket } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { connectNats } from '@signalbox/runtime';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The services' connection gathers what one turn of the event loop sends into one socket write (this
 * project's nats-core patch, `flushAfterTurn`): a step's append and the ledger record or live `done`
 * issued a few promise turns apart share a syscall. nats.js alone writes once each microtask turn.
 */

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(() => server?.stop());
afterEach(() => vi.restoreAllMocks());

/** Publishes on `a`, then on `b` a few promise turns later, as a step's writes come; the socket writes that carried them. */
async function writesOfTwoPublishes(nc: NatsConnection, prefix: string): Promise<string[]> {
  const received: string[] = [];
  const subscription = nc.subscribe(`${prefix}.*`, {
    callback: (_, message) => {
      received.push(message.subject);
    },
  });
  await nc.flush();
  // A spy that still writes: what each socket write carried is in its calls.
  const socketWrites = vi.spyOn(Socket.prototype, 'write');
  nc.publish(`${prefix}.a`, 'first');
  for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  nc.publish(`${prefix}.b`, 'second');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await nc.flush();
  vi.restoreAllMocks();
  expect(received).toEqual([`${prefix}.a`, `${prefix}.b`]);
  subscription.unsubscribe();
  return socketWrites.mock.calls.map(([chunk]) => Buffer.from(chunk as Uint8Array).toString('latin1')).filter((text) => text.includes(`PUB ${prefix}.`));
}

describe('a service connection', () => {
  it('sends what one turn of the event loop publishes in one socket write, in order', async () => {
    const nc = await connectNats(server.url, 'gathering');
    try {
      const writes = await writesOfTwoPublishes(nc, 'gathered');
      expect(writes).toHaveLength(1);
      expect(writes[0]!.indexOf('PUB gathered.a')).toBeLessThan(writes[0]!.indexOf('PUB gathered.b'));
    } finally {
      await nc.close();
    }
  });

  it('leaves other connections as nats.js makes them: one write each microtask turn', async () => {
    const nc = await connect({ servers: server.url });
    try {
      expect(await writesOfTwoPublishes(nc, 'plain')).toHaveLength(2);
    } finally {
      await nc.close();
    }
  });
});
