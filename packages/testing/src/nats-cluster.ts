import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startNatsServer, type NatsServer, type NatsServerOptions } from './nats-server.ts';

/** JetStream nodes (three by default) forming one cluster on loopback, on the run's harness. */
export interface NatsCluster {
  readonly nodes: readonly NatsServer[];
  /** All client URLs, for a connection that fails over between nodes. */
  readonly servers: string[];
  dispose(): Promise<void>;
}

/** Settings every node gets besides its cluster flags: `config` for `jetstream { sync_interval: always }`, say. */
export type NatsNodeOptions = Pick<NatsServerOptions, 'args' | 'config' | 'harness'>;

export async function startNatsCluster(size = 3, options: NatsNodeOptions = {}): Promise<NatsCluster> {
  const root = await mkdtemp(join(tmpdir(), 'sbx-cluster-'));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((port) => `nats-route://127.0.0.1:${port}`).join(',');
  // Nodes only report ready once they can reach a JetStream quorum, so start them together.
  const nodes = await Promise.all(
    clusterPorts.map((clusterPort, index) =>
      startNatsServer({
        name: nodeName(index),
        storeDir: join(root, nodeName(index)),
        ...options,
        args: ['--cluster_name', 'sbx-test', '--cluster', `nats://127.0.0.1:${clusterPort}`, '--routes', routes, ...(options.args ?? [])],
      }),
    ),
  );
  try {
    await allPeersCurrent(nodes);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.dispose()));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    servers: nodes.map((node) => node.url),
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.dispose()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

const peersTimeoutMs = 30_000;

/** The meta group as its leader sees it (`/jsz`): the other peers, and whether each has caught up. */
interface MetaView {
  meta_cluster?: { leader?: string; replicas?: { name: string; current?: boolean; offline?: boolean }[] };
}

/**
 * Waits until the meta leader counts every other node as current. A node is healthy once it reaches a
 * quorum, so a stream of as many replicas as nodes could be refused before ("no suitable peers for
 * placement, peer offline") while the last node was still joining.
 */
async function allPeersCurrent(nodes: readonly NatsServer[]): Promise<void> {
  const deadline = Date.now() + peersTimeoutMs;
  for (;;) {
    const views = await Promise.all(nodes.map((node) => metaView(node)));
    const leader = views.find((view, index) => view?.meta_cluster?.leader === nodeName(index));
    const peers = leader?.meta_cluster?.replicas ?? [];
    if (peers.length === nodes.length - 1 && peers.every((peer) => peer.current === true && peer.offline !== true)) return;
    if (Date.now() > deadline) throw new Error(`the ${nodes.length} nodes did not all join the meta group within ${peersTimeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function metaView(node: NatsServer): Promise<MetaView | undefined> {
  try {
    return (await (await fetch(`${node.monitorUrl}/jsz`)).json()) as MetaView;
  } catch {
    return undefined;
  }
}

function nodeName(index: number): string {
  return `n${index + 1}`;
}
