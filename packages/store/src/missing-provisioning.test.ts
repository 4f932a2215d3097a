import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingProvisioning, requiredAssets } from './missing-provisioning.ts';
import { provision } from './provision.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

describe('missingProvisioning', () => {
  it('names every stream, bucket and object store on an empty server', async () => {
    const missing = await missingProvisioning(nc, names);
    expect(missing).toHaveLength(requiredAssets(names).length);
    expect(missing).toEqual(expect.arrayContaining(['stream SBX_EVENTS', 'stream SBX_TIMERS', 'bucket sbx-agents', 'bucket sbx-subscribers', 'object store sbx-workspace']));
  });

  it('names nothing once provisioned, without the partitions stream the first event subscriber makes', async () => {
    await provision(nc, names);
    expect(await missingProvisioning(nc, names)).toEqual([]);
    await expect((await jetstreamManager(nc)).streams.info(names.streams.eventPartitions)).rejects.toThrow(/stream not found/);
  });

  it('names what was removed, by the stream behind it', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`KV_${names.buckets.sessions}`);
    await jsm.streams.delete(`OBJ_${names.objectStores.toolOutputs}`);
    expect(await missingProvisioning(nc, names)).toEqual(['bucket sbx-sessions', 'object store sbx-tool-outputs']);
  });
});
