import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type Message } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision } from './provision.ts';
import { MissingTranscriptError, transcriptChunkSize, TranscriptStore } from './transcript-store.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let transcripts: TranscriptStore;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  transcripts = await TranscriptStore.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

const messages = (from: number, count: number): Message[] =>
  Array.from({ length: count }, (_, i) => ({ role: (from + i) % 2 ? 'assistant' : 'user', content: [{ type: 'text', text: `message ${from + i}` }] }));

describe('TranscriptStore', () => {
  it('gives back the first messages of a conversation saved a few chunks at a time', async () => {
    await transcripts.save('t1', 0, messages(0, transcriptChunkSize));
    await transcripts.save('t1', transcriptChunkSize, messages(transcriptChunkSize, 2 * transcriptChunkSize));
    expect(await transcripts.load('t1', 3 * transcriptChunkSize)).toEqual(messages(0, 3 * transcriptChunkSize));
    expect(await transcripts.load('t1', transcriptChunkSize)).toEqual(messages(0, transcriptChunkSize));
    expect(await transcripts.load('t1', 0)).toEqual([]);
    await transcripts.remove('t1', 3 * transcriptChunkSize);
    await expect(transcripts.load('t1', transcriptChunkSize)).rejects.toThrow(new MissingTranscriptError('t1', 0));
  });

  it('keeps one entry per chunk, so a snapshot never carries more than a chunk of messages', async () => {
    await transcripts.save('t2', 0, messages(0, 2 * transcriptChunkSize));
    const keys = await (await new Kvm(nc).open(names.buckets.transcripts)).keys('t2.>');
    const listed: string[] = [];
    for await (const key of keys) listed.push(key);
    expect(listed.sort()).toEqual(['t2.0', 't2.1']);
  });

  it('refuses partial chunks, and says which chunk is missing', async () => {
    await expect(transcripts.save('t3', 0, messages(0, 3))).rejects.toThrow(RangeError);
    await expect(transcripts.save('t3', 5, messages(5, transcriptChunkSize))).rejects.toThrow(RangeError);
    await transcripts.save('t3', 0, messages(0, transcriptChunkSize));
    await expect(transcripts.load('t3', 2 * transcriptChunkSize)).rejects.toThrow(new MissingTranscriptError('t3', 1));
  });
});
