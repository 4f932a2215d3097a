import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { decodeEventMessage, naming, type SessionEvent } from '@signalbox/events';
import { ConcurrencyError, emptyHead, EventStore, streamConfigs, type SessionHead } from '@signalbox/store';
import { startNatsCluster, startNatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendOption, optionStreamSettings, recordedStep, type AppendOptionName } from '../bench/harness/append-options.ts';
import { withRetry } from './cluster-run.ts';
import { report, seededRandom } from './report.ts';

/**
 * The append contract's guarantees under a race: the runtime's append (one message a decision) and the
 * atomic batch it was measured against. Two writers on one session decide from the same head, one starts
 * at once and the other with a head start of nothing to 3 ms (so they meet at every point of each other's
 * append), and after every trial the log holds one winner's decision, whole, with contiguous `n`, and
 * nothing of the loser's. The pipelined sketch is raced too, to show what it breaks.
 */
const names = naming('sbx');
const template = recordedStep();
const raced: AppendOptionName[] = ['one-message', 'atomic-batch'];

interface Target {
  nc: NatsConnection[];
  dispose(): Promise<void>;
}

const topologies: { name: string; trials: number; start: () => Promise<Target> }[] = [
  {
    name: 'one file-backed node (R1)',
    trials: 300,
    start: async () => {
      const server = await startNatsServer();
      const nc = await Promise.all([0, 1].map(() => connect({ servers: server.url })));
      await provision(nc[0]!, 1);
      return { nc, dispose: () => closeAll(nc, () => server.dispose()) };
    },
  },
  {
    name: 'a 3-node cluster (R3, sync_interval: always)',
    trials: 200,
    start: async () => {
      const cluster = await startNatsCluster(3, { config: 'jetstream { sync_interval: always }' });
      // Each writer on its own node: their appends reach the stream leader by different routes.
      const nc = await Promise.all(cluster.servers.slice(0, 2).map((url) => connect({ servers: url })));
      await provision(nc[0]!, 3);
      await Promise.all(nc.map((c, index) => withRetry(() => jetstream(c).publish(names.subjects.events(`warm-up-${index}`), 'warm-up'))));
      return { nc, dispose: () => closeAll(nc, () => cluster.dispose()) };
    },
  },
];

async function closeAll(connections: NatsConnection[], stopServers: () => Promise<void>): Promise<void> {
  await Promise.all(connections.map((nc) => nc.close()));
  await stopServers();
}

async function provision(nc: NatsConnection, replicas: number): Promise<void> {
  const events = streamConfigs(names, { replicas }).find((config) => config.name === names.streams.events)!;
  await (await jetstreamManager(nc, { timeout: 30_000 })).streams.add({ ...events, ...optionStreamSettings });
}

/** A decision of `count` events by `writer`, continuing the log after `head`. */
function decision(sessionId: string, writer: string, head: SessionHead, count: number): SessionEvent[] {
  return template.slice(0, count).map((event, index) => ({
    ...event,
    id: `${writer}-${head.n + index + 1}`,
    sessionId,
    correlationId: sessionId,
    n: head.n + index + 1,
    by: { service: 'session-actor', instance: writer },
  }));
}

/** A head start of nothing, one turn of the event loop, or up to 3 ms: the writers meet at every point of each other's append. */
async function stagger(draw: number): Promise<void> {
  if (draw < 0.25) return;
  if (draw < 0.5) return void (await new Promise((resolve) => setImmediate(resolve)));
  await sleep(draw * 3);
}

/** Every event stored on the session's subject after stream sequence `afterSeq`, whatever a message holds (one event or a decision's). */
async function storedAfter(jsm: JetStreamManager, sessionId: string, afterSeq: number): Promise<{ events: SessionEvent[]; head: SessionHead }> {
  // From the stream's leader: a direct get may be answered by a replica that has not applied the last append yet.
  const subject = names.subjects.events(sessionId);
  const last = await jsm.streams.getMessage(names.streams.events, { last_by_subj: subject });
  const events: SessionEvent[] = [];
  let head: SessionHead = { n: 0, seq: afterSeq };
  for (let seq = afterSeq + 1; last && seq <= last.seq; seq++) {
    const stored = await jsm.streams.getMessage(names.streams.events, { seq });
    if (stored?.subject !== subject) continue;
    events.push(...decodeEventMessage(stored.data));
    head = { n: events.at(-1)!.n, seq };
  }
  return { events, head };
}

for (const topology of topologies) {
  describe(`two writers racing on one session, on ${topology.name}`, () => {
    let target: Target;
    let jsm: JetStreamManager;
    beforeAll(async () => {
      target = await topology.start();
      jsm = await jetstreamManager(target.nc[0]!);
    });
    afterAll(async () => {
      await target?.dispose();
    });

    for (const name of raced) {
      it(`${name}: one winner a trial, its decision whole, contiguous n, nothing of the loser`, { timeout: 120_000 }, async () => {
        const stores = await Promise.all(target.nc.map((nc) => EventStore.open(nc, names)));
        const writers = target.nc.map((nc, index) => ({ name: `w${index + 1}`, option: appendOption(name, nc, names, stores[index]!) }));
        const sessionId = `race-${name}-${topology.trials}`;
        const random = seededRandom(topology.trials + name.length);
        const facts = { trials: topology.trials, firstWriterWon: 0, secondWriterWon: 0, twoWinners: 0, noWinner: 0, loserEventsStored: 0, partial: 0 };
        let head: SessionHead = emptyHead;
        for (let trial = 1; trial <= topology.trials; trial++) {
          // Decisions of 2 and of 1 or 2 events, as a step's are; either writer may start a little later.
          const attempts = writers.map((writer, index) => ({ writer, events: decision(sessionId, writer.name, head, index === 0 ? 2 : 1 + (trial % 2)) }));
          const late = random() < 0.5 ? 0 : 1;
          const outcomes = await Promise.allSettled(
            attempts.map(async ({ writer, events }, index) => {
              if (index === late) await stagger(random());
              return writer.option.append(sessionId, events, head);
            }),
          );
          for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
          const winners = attempts.filter((_, index) => outcomes[index]!.status === 'fulfilled');
          const stored = await storedAfter(jsm, sessionId, head.seq);
          const winner = winners[0];
          if (winners.length > 1) facts.twoWinners++;
          if (!winner) facts.noWinner++;
          else if (winner === attempts[0]) facts.firstWriterWon++;
          else facts.secondWriterWon++;
          const losers = attempts.filter((attempt) => attempt !== winner).map((attempt) => attempt.writer.name);
          facts.loserEventsStored += stored.events.filter((event) => losers.includes(event.by.instance)).length;
          if (winner && stored.events.length !== winner.events.length) facts.partial++;
          expect(stored.events.map((event) => event.n)).toEqual(stored.events.map((_, index) => head.n + index + 1));
          expect(stored.events.map((event) => event.id)).toEqual(winner ? winner.events.map((event) => event.id) : []);
          if (stored.events.length > 0) head = stored.head;
        }
        report('append-race', { topology: topology.name, option: name, ...facts });
        expect(facts).toMatchObject({ twoWinners: 0, loserEventsStored: 0, partial: 0 });
        expect(facts.noWinner).toBeLessThan(topology.trials / 10);
      });
    }

    it("pipelined (each event sent before the last one's ack) lets a losing decision's second event land after the winner's", async () => {
      const [loser, winner] = await Promise.all(target.nc.map(async (nc) => appendOption('pipelined', nc, names, await EventStore.open(nc, names))));
      const sessionId = 'race-pipelined';
      // The winner's decision lands first; the loser's, decided on the same (now stale) head, is pipelined.
      await winner!.append(sessionId, decision(sessionId, 'winner', emptyHead, 1), emptyHead);
      await expect(loser!.append(sessionId, decision(sessionId, 'loser', emptyHead, 2), emptyHead)).rejects.toBeInstanceOf(ConcurrencyError);
      const stored = await storedAfter(jsm, sessionId, 0);
      report('append-race', { topology: topology.name, option: 'pipelined', stored: stored.events.map((event) => `${event.n}:${event.by.instance}`) });
      expect(stored.events.map((event) => `${event.n}:${event.by.instance}`)).toEqual(['1:winner', '2:loser']);
    });
  });
}
