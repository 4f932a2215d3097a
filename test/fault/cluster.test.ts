import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsCluster } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { describe, expect, it } from 'vitest';
import { scriptedAgent } from '../support/runtime.ts';
import { expectWholeSession } from './invariants.ts';
import { report } from './report.ts';

const sessions = 60;

describe('a 3-node cluster with replicated streams', () => {
  it('goes on running sessions when one node is killed mid-run', { timeout: 180_000 }, async () => {
    const cluster = await startNatsCluster(3);
    // One actor pool: on nats-server < 2.11 concurrent writers to one session race in R3 streams (see doctor).
    const config = RuntimeConfig.parse({ natsUrl: cluster.servers.join(','), replicas: 3, logLevel: 'silent', instance: 'cluster', ackWaitMs: 2_000 });
    const host = await startHost([sessionActorService(), toolExecutorService({ tools: workspaceTools })], config);
    const nc = await connect({ servers: cluster.servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      const client = await SignalboxClient.open(nc);
      await client.applyAgent(scriptedAgent());
      const js = jetstream(nc);
      for (let i = 0; i < sessions / 2; i++) await js.publish('sbx.tasks.scribe', JSON.stringify({ input: 'note', sessionId: `c-${i}` }));

      // Kill the node leading the events stream: leadership must move for the log to go on.
      const leader = (await (await jetstreamManager(nc)).streams.info('SBX_EVENTS')).cluster?.leader ?? 'n1';
      await cluster.nodes[Number(leader.slice(1)) - 1]!.kill();
      for (let i = sessions / 2; i < sessions; i++) await publishWithRetry(() => js.publish('sbx.tasks.scribe', JSON.stringify({ input: 'note', sessionId: `c-${i}` })));

      // Leader elections on a loaded two-core machine can take a while after the kill.
      const logs = await waitForAll(client, sessions, 120_000);
      report('cluster', { nodes: 3, killed: leader, sessions, events: logs.reduce((sum, log) => sum + log.length, 0) });
      for (const log of logs) {
        expectWholeSession(log);
        expect(log.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
      }
    } finally {
      await nc.close();
      await host.stop();
      await cluster.dispose();
    }
  });
});

async function publishWithRetry(publish: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await publish();
      return;
    } catch (error) {
      // While the cluster elects new stream leaders a publish can time out; a client retries.
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function waitForAll(client: SignalboxClient, count: number, timeoutMs: number): Promise<SessionEvent[][]> {
  const logs = new Map<string, SessionEvent[]>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < count; i++) {
      const id = `c-${i}`;
      if (logs.get(id)?.at(-1)?.type === 'session.completed') continue;
      // A read can time out while stream and consumer leadership moves; the next round tries again.
      const log = await client.events(id).catch(() => undefined);
      if (log) logs.set(id, log);
    }
    const done = [...logs.values()].filter((log) => log.at(-1)?.type === 'session.completed').length;
    if (done === count) return [...logs.values()];
    if (Date.now() > deadline) throw new Error(`only ${done} of ${count} sessions completed in ${timeoutMs} ms:\n${await stuck(client, logs)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The last events of the sessions still running, and the work-queue consumers, to see where they stopped. */
async function stuck(client: SignalboxClient, logs: Map<string, SessionEvent[]>): Promise<string> {
  const running = [...logs].filter(([, log]) => log.at(-1)?.type !== 'session.completed');
  const lines = running.map(([id, log]) => `${id}: ${log.slice(-4).map((event) => `${event.n}:${event.type}@${event.by.instance}`).join(' ')}`);
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
