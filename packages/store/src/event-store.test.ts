import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { encodeEvent, naming, type SessionEvent } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, SequenceGapError } from './errors.ts';
import { emptyHead, EventStore, type SessionHead } from './event-store.ts';
import { provision } from './provision.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let store: EventStore;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  await provision(nc, names); // idempotent
  store = await EventStore.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

function pausedEvent(sessionId: string, n: number): SessionEvent {
  return {
    id: `${sessionId}-${n}`,
    type: 'session.paused',
    v: 1,
    sessionId,
    n,
    at: 1_000 + n,
    causationId: null,
    correlationId: sessionId,
    by: { service: 'test', instance: 't1' },
    data: { reason: `step ${n}` },
  };
}

/** Appends `count` events to each session, interleaved as concurrent sessions would be; returns each one's heads by n. */
async function writeSessions(counts: Record<string, number>): Promise<Record<string, SessionHead[]>> {
  const heads: Record<string, SessionHead[]> = Object.fromEntries(Object.keys(counts).map((id) => [id, [emptyHead]]));
  const longest = Math.max(...Object.values(counts));
  for (let n = 1; n <= longest; n++) {
    for (const [id, count] of Object.entries(counts)) {
      const log = heads[id] ?? [];
      const head = log.at(-1);
      if (n <= count && head) log.push(await store.append(id, [pausedEvent(id, n)], head));
    }
  }
  return heads;
}

describe('EventStore', () => {
  it('appends with optimistic concurrency and reads back from any n', async () => {
    const head = await store.append('s1', [pausedEvent('s1', 1), pausedEvent('s1', 2)], emptyHead);
    await store.append('s1', [pausedEvent('s1', 3)], head);
    await store.append('other', [pausedEvent('other', 1)], emptyHead);

    expect((await store.read('s1')).map((event) => event.n)).toEqual([1, 2, 3]);
    expect((await store.read('s1', { fromN: 3 })).map((event) => event.n)).toEqual([3]);
    expect(await store.read('nobody')).toEqual([]);
    expect((await store.head('s1')).n).toBe(3);
  });

  it('rejects a writer whose view of the head is stale', async () => {
    const head = await store.append('s2', [pausedEvent('s2', 1)], emptyHead);
    await store.append('s2', [pausedEvent('s2', 2)], head);
    // A second writer that still believes the log ends at event 1, or at nothing.
    await expect(store.append('s2', [pausedEvent('s2', 2)], head)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.append('s2', [pausedEvent('s2', 1)], emptyHead)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.read('s2')).map((event) => event.data)).toEqual([{ reason: 'step 1' }, { reason: 'step 2' }]);
  });

  it('refuses to append an event that does not continue the log', async () => {
    await expect(store.append('s3', [pausedEvent('s3', 2)], emptyHead)).rejects.toBeInstanceOf(SequenceGapError);
  });

  it('reports a gap found on read instead of papering over it', async () => {
    // Simulate a broken log written around the store: events 1 and 3, no 2.
    const js = jetstream(nc);
    await js.publish(names.subjects.events('broken'), encodeEvent(pausedEvent('broken', 1)));
    await js.publish(names.subjects.events('broken'), encodeEvent(pausedEvent('broken', 3)));
    await expect(store.read('broken')).rejects.toBeInstanceOf(SequenceGapError);
  });

  it('tails a session live', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const tailing = (async () => {
      for await (const event of store.tail('live', { signal: controller.signal })) {
        seen.push(event.n);
        if (event.n === 3) controller.abort();
      }
    })();
    let head = emptyHead;
    for (const n of [1, 2, 3]) head = await store.append('live', [pausedEvent('live', n)], head);
    await tailing;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('loads from a snapshot at the real head when nothing follows it', async () => {
    const head = await store.append('quiet', [pausedEvent('quiet', 1), pausedEvent('quiet', 2)], emptyHead);
    expect(await store.load('quiet', { fromN: 3, fromSeq: head.seq + 1 })).toEqual({ events: [], head });
    // A start past the head is ignored, not waited on.
    expect((await store.read('quiet', { fromN: 2, fromSeq: head.seq + 100 })).map((event) => event.n)).toEqual([2]);
  });

  it('tells whether the log holds a given event at a given sequence', async () => {
    const first = await store.append('anchored', [pausedEvent('anchored', 1)], emptyHead);
    const second = await store.append('anchored', [pausedEvent('anchored', 2)], first);
    expect(await store.holds('anchored', second)).toBe(true);
    expect(await store.holds('anchored', { n: 2, seq: first.seq })).toBe(false);
    expect(await store.holds('elsewhere', second)).toBe(false);
    expect(await store.holds('anchored', { n: 3, seq: second.seq + 1_000 })).toBe(false);
  });

  it('reads only the tail after a snapshot, however long the log before it', async () => {
    const heads = await writeSessions({ short: 200, long: 2_000 });
    // A connection of its own, so its message count is the loads' alone.
    const reader = await connect({ servers: server.url });
    const readerStore = await EventStore.open(reader, names);
    const received = async (sessionId: string, fromN: number, fromSeq?: number) => {
      const before = reader.stats().inMsgs;
      const { events } = await readerStore.load(sessionId, { fromN, ...(fromSeq ? { fromSeq } : {}) });
      return { events: events.length, messages: reader.stats().inMsgs - before };
    };
    try {
      const tailOf = async (sessionId: string, snapshotN: number) => received(sessionId, snapshotN + 1, (heads[sessionId]?.[snapshotN]?.seq ?? 0) + 1);
      const short = await tailOf('short', 195);
      const long = await tailOf('long', 1_995);
      expect(short.events).toBe(5);
      expect(long.events).toBe(5);
      // The same few messages either way: the ordered consumer starts at the snapshot's sequence.
      expect(long.messages).toBe(short.messages);
      expect(long.messages).toBeLessThan(20);
      // Without the sequence, the same five events cost a scan of the whole session.
      expect((await received('long', 1_996)).messages).toBeGreaterThanOrEqual(2_000);
    } finally {
      await reader.close();
    }
  });
});
