import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionCountOf, provision, provisionEventPartitions } from './provision.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

async function publish(sessionIds: readonly string[]): Promise<void> {
  const js = jetstream(nc);
  for (const id of sessionIds) await js.publish(names.subjects.events(id), new Uint8Array([1]));
}

/** The partitions stream's subjects once it holds `count` messages: `sbx.partitioned.<partition>.<sessionId>` → messages. */
async function partitioned(count: number): Promise<Record<string, number>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await jsm.streams.info(names.streams.eventPartitions, { subjects_filter: '>' });
    if (info.state.messages >= count) return info.state.subjects ?? {};
    await sleep(20);
  }
  throw new Error(`the partitions stream did not reach ${count} messages`);
}

describe('the event partitions stream', () => {
  it('is made by the first subscriber, not by provisioning, so a deployment without one stores its events once', async () => {
    await provision(nc, names, { eventPartitions: 4 });
    await expect(jsm.streams.info(names.streams.eventPartitions)).rejects.toThrow(/stream not found/);
  });

  it('holds every event again, each session in one partition, and keeps its partitions on every start', async () => {
    await publish(['early']);
    // Made after the log (the first subscriber of an installation that ran without one): it sources the log as it is, then live.
    await provisionEventPartitions(nc, names, { eventPartitions: 4 });
    await partitioned(1);
    await jsm.streams.delete(names.streams.eventPartitions);
    await provisionEventPartitions(nc, names, { eventPartitions: 4 });
    const sessions = Array.from({ length: 12 }, (_, index) => `s${index}`);
    await publish([...sessions, ...sessions]);
    const subjects = await partitioned(25);
    expect(Object.keys(subjects).filter((subject) => subject.endsWith('.early'))).toHaveLength(1);
    for (const id of sessions) {
      const [subject, ...others] = Object.keys(subjects).filter((key) => key.endsWith(`.${id}`));
      expect(others).toEqual([]);
      expect(subjects[subject!]).toBe(2);
      expect(Number(subject!.split('.')[2])).toBeLessThan(4);
    }
    await provision(nc, names, { eventPartitions: 4 });
    await sleep(300);
    expect((await jsm.streams.info(names.streams.eventPartitions)).state.messages).toBe(25);
  });

  it('takes a new partition count for what is appended from then on, without copying the log again', async () => {
    await provision(nc, names, { eventPartitions: 16 });
    expect(partitionCountOf((await jsm.streams.info(names.streams.eventPartitions)).config)).toBe(16);
    await publish(['after']);
    await partitioned(26);
    await sleep(500);
    expect((await jsm.streams.info(names.streams.eventPartitions)).state.messages).toBe(26);
  });
});
