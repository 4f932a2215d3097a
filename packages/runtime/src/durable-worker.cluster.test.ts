import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { streamConfigs } from '@signalbox/store';
import { startNatsCluster } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { startDurableWorker } from './durable-worker.ts';
import { createLogger } from './logger.ts';

const names = naming('sbx');
const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });

describe('a durable worker on a 3-node cluster', () => {
  it('takes work again within seconds after the node leading its consumer is killed', { timeout: 60_000 }, async () => {
    const cluster = await startNatsCluster(3);
    const options = { servers: cluster.servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 };
    const [nc, workerNc] = await Promise.all([connect(options), connect(options)]);
    const handled = new Map<string, number>();
    try {
      const jsm = await jetstreamManager(nc, { timeout: 30_000 });
      const jobs = streamConfigs(names, { replicas: 3 }).find((config) => config.name === names.streams.jobs);
      if (!jobs) throw new Error('no jobs stream in the configs');
      await jsm.streams.add(jobs);
      const worker = await startDurableWorker({
        nc: workerNc,
        names,
        logger,
        stream: names.streams.jobs,
        durable: 'failover',
        filterSubject: 'sbx.jobs.test.>',
        deadLetterSource: 'test',
        handle: async (message) => void handled.set(message.string(), Date.now()),
      });
      try {
        const leader = (await jsm.consumers.info(names.streams.jobs, 'failover')).cluster?.leader ?? 'n1';
        await cluster.nodes[Number(leader.slice(1)) - 1]?.kill();
        const killedAt = Date.now();
        const js = jetstream(nc, { timeout: 2_000 });
        // A publish can time out while the stream elects a new leader; a client tries again (soon: this measures the worker).
        for (;;) {
          const sent = await js.publish('sbx.jobs.test.job', 'after the kill').then(() => true, () => false);
          if (sent) break;
          await sleep(250);
        }
        const deadline = Date.now() + 30_000;
        while (!handled.has('after the kill') && Date.now() < deadline) await sleep(100);
        // nats.js's default 30 s pull would leave it waiting about that long (measured: nothing within 25 s).
        // With 5 s pulls it took 10-15 s on this 2-core machine (the consumer's leader election included).
        expect((handled.get('after the kill') ?? Infinity) - killedAt).toBeLessThan(20_000);
      } finally {
        await worker.stop();
      }
    } finally {
      await Promise.all([nc.close(), workerNc.close()]);
      await cluster.dispose();
    }
  });
});
