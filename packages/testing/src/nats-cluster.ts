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
        name: `n${index + 1}`,
        storeDir: join(root, `n${index + 1}`),
        ...options,
        args: ['--cluster_name', 'sbx-test', '--cluster', `nats://127.0.0.1:${clusterPort}`, '--routes', routes, ...(options.args ?? [])],
      }),
    ),
  );
  return {
    nodes,
    servers: nodes.map((node) => node.url),
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.dispose()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
