import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { keepConnected, RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { EventStore } from '@signalbox/store';
import { startNatsCluster, type NatsCluster, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { scriptedAgent } from '../support/runtime.ts';

/** A 3-node cluster as production runs it (R3 streams, fsync on every write), two actor+executor hosts racing on it, and a client. */
export interface ClusterRun {
  cluster: NatsCluster;
  nc: NatsConnection;
  client: SignalboxClient;
  /** Every event the hosts' appends were acknowledged for, by `<sessionId>/<n>`: the ids the log must keep. */
  acknowledged: Map<string, string>;
  /** Publishes tasks for sessions `<prefix>-<from>` up to `<prefix>-<to - 1>`, retrying while the cluster elects leaders. */
  submit(from: number, to: number): Promise<void>;
  /** The node leading a stream, as the first of `askNodes` that answers sees it (from its monitoring endpoint, so a frozen client connection cannot stall the question). */
  leaderOf(stream: string, askNodes?: readonly NatsServer[]): Promise<NatsServer | undefined>;
  dispose(): Promise<void>;
}

export async function startClusterRun(prefix: string): Promise<ClusterRun> {
  const cluster = await startNatsCluster(3, { config: 'jetstream { sync_interval: always }' });
  const servers = cluster.servers.join(',');
  // Two hosts, so sessions have two actors that may race on their appends: correct on 2.12+.
  const hosts: Host[] = [];
  for (const instance of ['cluster-a', 'cluster-b']) {
    // FAULT_LOG_LEVEL=debug shows the hosts' logs when a run needs explaining.
    const config = RuntimeConfig.parse({ natsUrl: servers, replicas: 3, logLevel: process.env['FAULT_LOG_LEVEL'] ?? 'silent', instance, ackWaitMs: 2_000 });
    // A host that fails to start closes behind it, so a start that timed out on a loaded machine is tried again.
    const start = () => startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools })], config);
    hosts.push(await during(`starting host ${instance}`, () => withRetry(start, 3)));
  }
  const nc = await connect({ servers: cluster.servers, ...keepConnected });
  const client = await during('opening the client', () => SignalboxClient.open(nc));
  await during('applying the agent', () => withRetry(() => client.applyAgent(scriptedAgent())));
  const recording = recordAcknowledged();
  const js = jetstream(nc, { timeout: 2_000 });
  return {
    cluster,
    nc,
    client,
    acknowledged: recording.acknowledged,
    submit: async (from, to) => {
      for (let i = from; i < to; i++) await withRetry(() => js.publish('sbx.tasks.scribe', JSON.stringify({ input: 'note', sessionId: `${prefix}-${i}` })));
    },
    leaderOf: async (stream, askNodes = cluster.nodes) => {
      for (const node of askNodes) {
        const leader = (await streamOn(node, stream))?.cluster?.leader;
        if (leader) return cluster.nodes[Number(leader.slice(1)) - 1];
      }
      return undefined;
    },
    dispose: async () => {
      recording.restore();
      await nc.close();
      await Promise.all(hosts.map((host) => host.stop()));
      await cluster.dispose();
    },
  };
}

/** Records every append the event store acknowledged, in this process (the hosts run in it), until restored. */
function recordAcknowledged(): { acknowledged: Map<string, string>; restore(): void } {
  const acknowledged = new Map<string, string>();
  const append = Object.getOwnPropertyDescriptor(EventStore.prototype, 'append')?.value as EventStore['append'];
  EventStore.prototype.append = async function (this: EventStore, sessionId, events, expected) {
    const head = await append.call(this, sessionId, events, expected);
    for (const event of events) acknowledged.set(`${event.sessionId}/${event.n}`, event.id);
    return head;
  };
  return { acknowledged, restore: () => void (EventStore.prototype.append = append) };
}

interface StreamDetail {
  name: string;
  state: { messages: number; last_seq: number };
  cluster?: { leader?: string };
}

/** A stream as one node sees it (its own copy's state, the leader it knows), from the node's `/jsz`. */
export async function streamOn(node: NatsServer, stream: string): Promise<StreamDetail | undefined> {
  const response = await fetch(`${node.monitorUrl}/jsz?streams=true`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  const jsz = (await response?.json().catch(() => undefined)) as { account_details?: { stream_detail?: StreamDetail[] }[] } | undefined;
  return jsz?.account_details?.flatMap((account) => account.stream_detail ?? []).find((detail) => detail.name === stream);
}

/** The acknowledged events the final logs do not hold with the same id at the same `n`. */
export function lostEvents(acknowledged: ReadonlyMap<string, string>, logs: readonly SessionEvent[][]): string[] {
  const kept = new Map(logs.flat().map((event) => [`${event.sessionId}/${event.n}`, event.id]));
  return [...acknowledged].filter(([key, id]) => kept.get(key) !== id).map(([key]) => key);
}

/** Runs a step, naming it in the error it fails with: a bare request timeout does not say which request. */
export async function during<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function withRetry<T>(attempt: () => Promise<T>, tries = 60): Promise<T> {
  for (let count = 1; ; count++) {
    try {
      return await attempt();
    } catch (error) {
      // While the cluster elects new leaders a request can time out; a client tries again.
      if (count >= tries) throw error;
      await sleep(500);
    }
  }
}
