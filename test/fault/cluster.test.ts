import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import type { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import type { NatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { during, lostEvents, startClusterRun, streamOn, type ClusterRun } from './cluster-run.ts';
import { expectWholeSession } from './invariants.ts';
import { report } from './report.ts';

const sessions = 60;
/** Longer than a Raft election takes to give up on a silent leader (seconds on nats-server), so leadership moves. */
const frozenMs = 12_000;

/**
 * Above the sum of its steps' own budgets (host starts tried three times, submits retried through elections,
 * 120 s for the sessions, the teardown): a CI run once passed 180 s with every step within its budget.
 */
const caseTimeoutMs = 300_000;

describe('a 3-node cluster with R3 streams and sync_interval always, two actor hosts racing', () => {
  it('loses no acknowledged event and keeps n contiguous when the events stream leader is killed mid-run', { timeout: caseTimeoutMs }, async () => {
    // How long each step took, in the report: a slow run says where its time went.
    const stepMs: Record<string, number> = {};
    const timed = <T>(what: string, step: () => Promise<T>) => {
      const started = Date.now();
      return during(what, step).finally(() => (stepMs[what] = Date.now() - started));
    };
    const run = await timed('starting the cluster run', () => startClusterRun('k'));
    try {
      await timed('submitting before the kill', () => run.submit(0, sessions / 2));
      const leader = await timed('finding the leader', () => leaderOfEvents(run));
      await timed('killing the leader', () => leader.kill());
      await timed('submitting after the kill', () => run.submit(sessions / 2, sessions));
      // Leader elections on a loaded two-core machine can take a while after the kill.
      const logs = await timed('waiting for every session', () => waitForAll(run.client, 'k', sessions, 120_000, run.acknowledged));
      report('cluster', { nodes: 3, killed: nameOf(run.cluster.nodes, leader), sessions, events: logs.flat().length, acknowledged: run.acknowledged.size, stepMs });
      expect(lostEvents(run.acknowledged, logs)).toEqual([]);
      for (const log of logs) {
        expectWholeSession(log);
        expect(log.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
      }
    } finally {
      const started = Date.now();
      await run.dispose();
      report('cluster-teardown', { ms: Date.now() - started });
    }
  });

  it('loses nothing when the events stream leader is frozen past the election timeout, and the node catches up once thawed', { timeout: caseTimeoutMs }, async () => {
    const run = await during('starting the cluster run', () => startClusterRun('f'));
    try {
      await run.submit(0, sessions / 2);
      const frozen = await leaderOfEvents(run);
      await frozen.freeze();
      const frozenAt = Date.now();
      // Tasks keep coming while the node is frozen, whenever the cluster takes them.
      const submitting = run.submit(sessions / 2, sessions);
      const newLeader = await leaderElectedWithout(run, frozen, 30_000);
      await sleep(Math.max(0, frozenMs - (Date.now() - frozenAt)));
      await frozen.thaw();
      const frozenFor = Date.now() - frozenAt;
      await submitting;
      const logs = await waitForAll(run.client, 'f', sessions, 120_000, run.acknowledged);
      const caughtUp = await waitUntilCaughtUp(frozen, newLeader, 60_000);
      report('cluster-freeze', {
        nodes: 3,
        frozen: nameOf(run.cluster.nodes, frozen),
        frozenMs: frozenFor,
        leaderWhileFrozen: nameOf(run.cluster.nodes, newLeader),
        sessions,
        events: logs.flat().length,
        acknowledged: run.acknowledged.size,
        caughtUpMs: caughtUp,
      });
      expect(lostEvents(run.acknowledged, logs)).toEqual([]);
      for (const log of logs) {
        expectWholeSession(log);
        expect(log.at(-1), JSON.stringify(log.at(-1))).toMatchObject({ data: { status: 'succeeded' } });
      }
    } finally {
      await run.dispose();
    }
  });
});

/** The node the others elect to lead the events stream while `frozen` cannot answer. */
async function leaderElectedWithout(run: ClusterRun, frozen: NatsServer, timeoutMs: number): Promise<NatsServer> {
  const others = run.cluster.nodes.filter((node) => node !== frozen);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = await run.leaderOf('SBX_EVENTS', others);
    if (leader && leader !== frozen) return leader;
    if (Date.now() > deadline) throw new Error(`no other node led SBX_EVENTS within ${timeoutMs} ms of freezing ${nameOf(run.cluster.nodes, frozen)}`);
    await sleep(250);
  }
}

function nameOf(nodes: readonly NatsServer[], node: NatsServer): string {
  return `n${nodes.indexOf(node) + 1}`;
}

async function leaderOfEvents(run: ClusterRun): Promise<NatsServer> {
  const leader = await run.leaderOf('SBX_EVENTS');
  if (!leader) throw new Error('no node names a leader of SBX_EVENTS');
  return leader;
}

/** Resolves with how long the thawed node took to hold what the leader holds. */
async function waitUntilCaughtUp(node: NatsServer, leader: NatsServer, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const [mine, theirs] = await Promise.all([streamOn(node, 'SBX_EVENTS'), streamOn(leader, 'SBX_EVENTS')]);
    if (mine && theirs && mine.state.last_seq === theirs.state.last_seq && mine.state.messages === theirs.state.messages) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`the thawed node holds ${JSON.stringify(mine?.state)}, the leader ${JSON.stringify(theirs?.state)}`);
    await sleep(250);
  }
}

async function waitForAll(client: SignalboxClient, prefix: string, count: number, timeoutMs: number, seen: ReadonlyMap<string, string>): Promise<SessionEvent[][]> {
  const logs = new Map<string, SessionEvent[]>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < count; i++) {
      const id = `${prefix}-${i}`;
      if (logs.get(id)?.at(-1)?.type === 'session.completed') continue;
      // A read can time out while stream and consumer leadership moves; the next round tries again.
      const log = await client.events(id).catch(() => undefined);
      if (log) logs.set(id, log);
    }
    const done = [...logs.values()].filter((log) => log.at(-1)?.type === 'session.completed').length;
    if (done === count) return [...logs.values()];
    if (Date.now() > deadline) throw new Error(`only ${done} of ${count} sessions completed in ${timeoutMs} ms:\n${await stuck(client, logs, seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The last events of the sessions still running, and the work-queue consumers, to see where they stopped. */
async function stuck(client: SignalboxClient, logs: Map<string, SessionEvent[]>, seen: ReadonlyMap<string, string>): Promise<string> {
  const running = [...logs].filter(([, log]) => log.at(-1)?.type !== 'session.completed');
  const lines = running.map(([id, log]) => `${id}: ${log.slice(-4).map((event) => `${event.n}:${event.type}@${event.by.instance}`).join(' ')}; appends acknowledged for n ${[...seen.keys()].filter((key) => key.startsWith(`${id}/`)).map((key) => key.split('/')[1]).join(',')}`);
  const jsm = await jetstreamManager(client.nc);
  for (const stream of ['SBX_TASKS', 'SBX_INBOX', 'SBX_JOBS']) {
    const info = await jsm.streams.info(stream, { subjects_filter: '>' }).catch(() => undefined);
    lines.push(`${stream}: ${info?.state.messages ?? '?'} messages ${JSON.stringify(info?.state.subjects ?? {})}`);
    for await (const consumer of jsm.consumers.list(stream)) {
      lines.push(`  ${consumer.name}: pending=${consumer.num_pending} ack_pending=${consumer.num_ack_pending} waiting=${consumer.num_waiting} leader=${consumer.cluster?.leader ?? '?'}`);
    }
  }
  return lines.join('\n');
}
