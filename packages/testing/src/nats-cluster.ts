import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';

/** Three JetStream nodes forming one cluster on loopback. */
export interface NatsCluster {
  readonly nodes: readonly NatsServer[];
  /** All client URLs, for a connection that fails over between nodes. */
  readonly servers: string[];
  dispose(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = await mkdtemp(join(tmpdir(), 'sbx-cluster-'));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((port) => `nats-route://127.0.0.1:${port}`).join(',');
  // Nodes only report ready once they can reach a JetStream quorum, so start them together.
  const nodes = await Promise.all(
    clusterPorts.map((clusterPort, index) =>
      startNatsServer({
        name: `n${index + 1}`,
        storeDir: join(root, `n${index + 1}`),
        args: ['--cluster_name', 'sbx-test', '--cluster', `nats://127.0.0.1:${clusterPort}`, '--routes', routes],
      }),
    ),
  );
  return {
    nodes,
    servers: nodes.map((node) => node.url),
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
