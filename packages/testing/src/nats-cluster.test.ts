import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { currentHarness, type Harness } from './harness-choice.ts';
import { startNatsCluster } from './nats-cluster.ts';

const choice = await currentHarness();
// The container cluster runs whenever Docker is there, whichever harness the run chose.
const harnesses: Harness[] = choice.image ? ['process', 'container'] : ['process'];

describe.each(harnesses)('startNatsCluster on the %s harness', (harness) => {
  it('forms a 3-node cluster that holds an R3 stream, each node with the extra config', async () => {
    const cluster = await startNatsCluster(3, { harness, config: 'jetstream { sync_interval: always }\n' });
    const nc = await connect({ servers: cluster.servers });
    try {
      expect(cluster.nodes.map((node) => node.harness)).toEqual([harness, harness, harness]);
      const info = await (await jetstreamManager(nc)).streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
      for (const node of cluster.nodes) {
        const varz = (await (await fetch(`${node.monitorUrl}/varz`)).json()) as { jetstream: { config: { sync_always?: boolean } } };
        expect(varz.jetstream.config.sync_always).toBe(true);
      }
    } finally {
      await nc.close();
      await cluster.dispose();
    }
  });
});
