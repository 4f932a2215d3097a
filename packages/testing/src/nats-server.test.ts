import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { startNatsCluster } from './nats-cluster.ts';
import { startNatsServer } from './nats-server.ts';

describe('startNatsServer', () => {
  it('starts JetStream on a free port and survives kill -9 and restart with its data', async () => {
    const server = await startNatsServer();
    try {
      let nc = await connect({ servers: server.url });
      let jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await nc.close();

      await server.kill();
      await server.restart();

      nc = await connect({ servers: server.url });
      jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('KEEP')).config.name).toBe('KEEP');
      await nc.close();
    } finally {
      await server.dispose();
    }
  });
});

describe('startNatsCluster', () => {
  const clusterPromise = startNatsCluster();
  afterAll(async () => (await clusterPromise).dispose());

  it('forms a 3-node cluster that holds an R3 stream', async () => {
    const cluster = await clusterPromise;
    const nc = await connect({ servers: cluster.servers });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas?.length).toBe(2);
    await nc.close();
  });
});
