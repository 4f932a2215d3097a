import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { ConcurrencyError, emptyHead, EventStore, provision, type SessionHead } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedAgent, startTestRuntime } from '../support/runtime.ts';

const names = naming('sbx');

function event(sessionId: string, n: number, writer: string): SessionEvent {
  return {
    id: `${writer}-${n}`,
    type: 'session.resumed',
    v: 1,
    sessionId,
    n,
    at: n,
    causationId: null,
    correlationId: sessionId,
    by: { service: 'race', instance: writer },
    data: { reason: writer },
  };
}

describe('optimistic concurrency on a single node', () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await server.dispose();
  });

  it('lets exactly one of several writers win each append', async () => {
    // Five writers on their own connections, as five actor processes would be.
    for (let i = 0; i < 5; i++) connections.push(await connect({ servers: server.url }));
    await provision(connections[0]!, names);
    const stores = await Promise.all(connections.map((nc) => EventStore.open(nc, names)));

    const rounds = 60;
    let head: SessionHead = emptyHead;
    const winners: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const attempts = await Promise.allSettled(
        stores.map((store, index) => store.append('contended', [event('contended', round, `w${index}`)], head)),
      );
      const won = attempts.flatMap((attempt, index) => (attempt.status === 'fulfilled' ? [{ index, head: attempt.value }] : []));
      const lost = attempts.filter((attempt) => attempt.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.every((attempt) => attempt.status === 'rejected' && attempt.reason instanceof ConcurrencyError)).toBe(true);
      winners.push(`w${won[0]!.index}`);
      head = won[0]!.head;
    }

    const log = await stores[0]!.read('contended');
    expect(log.map((stored) => stored.n)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    expect(log.map((stored) => stored.by.instance)).toEqual(winners);
  });
});

describe('several session actors on one stream', () => {
  const sessions = 40;
  let extraHosts: Host[] = [];

  it('complete every session exactly once, with contiguous logs', async () => {
    const runtime = await startTestRuntime({ agents: [scriptedAgent()] });
    try {
      // Two more actor pools on their own connections share the durable consumers with the first.
      const config = (instance: string) => RuntimeConfig.parse({ natsUrl: runtime.server.url, logLevel: 'silent', instance });
      extraHosts = await Promise.all(['a2', 'a3'].map((instance) => startHost([sessionActorService(), permissionBrokerService()], config(instance))));

      const ids = Array.from({ length: sessions }, (_, i) => `multi-${i}`);
      await Promise.all(ids.map((sessionId) => runtime.client.submit('scribe', { input: 'note it', sessionId })));
      const logs = await Promise.all(ids.map((sessionId) => runtime.completedSession(sessionId, 20_000)));

      for (const log of logs) {
        expect(log.map((stored) => stored.n)).toEqual(log.map((_, i) => i + 1));
        expect(log.filter((stored) => stored.type === 'session.created')).toHaveLength(1);
        expect(log.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
      }
      const writers = new Set(logs.flat().map((stored) => stored.by.instance));
      expect(writers.size).toBeGreaterThan(1);
    } finally {
      await Promise.all(extraHosts.map((host) => host.stop()));
      await runtime.dispose();
    }
  });
});
