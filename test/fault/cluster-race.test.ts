import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { naming, type SessionEvent } from '@signalbox/events';
import { ConcurrencyError, emptyHead, EventStore, streamConfigs, type SessionHead } from '@signalbox/store';
import { startNatsCluster, type NatsCluster } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRetry } from './cluster-run.ts';
import { report } from './report.ts';

const names = naming('sbx');
const rounds = 100;
const sessionId = 'raced';

let cluster: NatsCluster;
let connections: NatsConnection[];
beforeAll(async () => {
  cluster = await startNatsCluster(3);
  // One writer a node, each connected to its node only: the appends reach the stream leader by different routes.
  connections = await Promise.all(cluster.servers.map((url) => connect({ servers: url })));
  const jsm = await jetstreamManager(connections[0]!, { timeout: 30_000 });
  const events = streamConfigs(names, { replicas: 3 }).find((config) => config.name === names.streams.events);
  await jsm.streams.add({ ...events!, name: names.streams.events });
  // A node routes publishes to a new stream once it has heard of it: until then a publish finds no responder.
  await Promise.all(connections.map((nc, index) => withRetry(() => jetstream(nc).publish(names.subjects.events(`warm-up-${index}`), 'warm-up'))));
});
afterAll(async () => {
  await Promise.all((connections ?? []).map((nc) => nc.close()));
  await cluster?.dispose();
});

function eventBy(actor: string, n: number): SessionEvent {
  return {
    id: `${actor}-${n}`,
    type: 'session.paused',
    v: 1,
    sessionId,
    n,
    at: n,
    causationId: null,
    correlationId: sessionId,
    by: { service: 'session-actor', instance: actor },
    data: { reason: `appended by ${actor}` },
  };
}

describe('session actors racing on one session of an R3 stream in a 3-node cluster', () => {
  it('let exactly one writer win each append, and the log holds the winners in order', { timeout: 120_000 }, async () => {
    const actors = await Promise.all(connections.map(async (nc, index) => ({ name: `actor-${index + 1}`, store: await EventStore.open(nc, names) })));
    const winners: string[] = [];
    const winsPerRound: number[] = [];
    let head: SessionHead = emptyHead;
    for (let n = 1; n <= rounds; n++) {
      // Every actor read the same head and appends event n at once, as actors holding a stale cache do.
      const outcomes = await Promise.allSettled(actors.map((actor) => actor.store.append(sessionId, [eventBy(actor.name, n)], head)));
      const won = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [{ actor: actors[index]!.name, head: outcome.value }] : []));
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
      winsPerRound.push(won.length);
      if (won.length === 0) throw new Error(`round ${n}: no actor won`);
      winners.push(won[0]!.actor);
      head = won[0]!.head;
    }
    const log = await actors[0]!.store.read(sessionId);
    report('cluster-race', { nodes: 3, actors: actors.length, rounds, roundsWithTwoWinners: winsPerRound.filter((wins) => wins > 1).length });
    expect(winsPerRound.filter((wins) => wins !== 1)).toEqual([]);
    expect(log.map((event) => event.n)).toEqual(winners.map((_, index) => index + 1));
    expect(log.map((event) => event.by.instance)).toEqual(winners);
  });

  it('let the sequence check alone pick one winner when message ids cannot (ids that differ, or a duplicate window passed)', { timeout: 120_000 }, async () => {
    // nats-server 2.9.10 let two or three of these writers win in 169 of 200 rounds: the floor is 2.12 for this.
    const subject = names.subjects.events('raced-without-ids');
    let lastSeq = 0;
    const winsPerRound: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const outcomes = await Promise.allSettled(
        connections.map((nc, writer) => jetstream(nc).publish(subject, `${writer}`, { msgID: `${writer}/${round}`, expect: { lastSubjectSequence: lastSeq } })),
      );
      const acks = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      winsPerRound.push(acks.length);
      lastSeq = Math.max(lastSeq, ...acks.map((ack) => ack.seq));
    }
    report('cluster-race', { nodes: 3, writers: connections.length, rounds, idsDiffer: true, roundsWithTwoWinners: winsPerRound.filter((wins) => wins > 1).length });
    expect(winsPerRound.filter((wins) => wins !== 1)).toEqual([]);
  });
});
