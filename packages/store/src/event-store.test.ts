import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { encodeEvent, naming, type SessionEvent } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, SequenceGapError } from './errors.ts';
import { emptyHead, EventStore, readPageBytes, seekFromN, singleGetLimit, type SessionHead } from './event-store.ts';
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

function pausedEvent(sessionId: string, n: number, reason = `step ${n}`): SessionEvent {
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
    data: { reason },
  };
}

/** The same event as another writer decides it: with an id of its own, as every writer's ids are. */
function ofOtherWriter(event: SessionEvent): SessionEvent {
  return { ...event, id: `other-${event.id}` };
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

  it('reads a range of a log, stopping at toN however far the log goes on', async () => {
    const events = Array.from({ length: 30 }, (_, index) => pausedEvent('ranged', index + 1));
    await store.append('ranged', events, emptyHead);
    // A few events (one direct get each) and many (batched gets): both stop at toN.
    expect((await store.read('ranged', { fromN: 2, toN: 4 })).map((event) => event.n)).toEqual([2, 3, 4]);
    expect((await store.read('ranged', { fromN: 3, toN: 27 })).map((event) => event.n)).toEqual(Array.from({ length: 25 }, (_, index) => index + 3));
    expect((await store.read('ranged', { toN: 99 })).length).toBe(30);
    expect(await store.read('ranged', { fromN: 5, toN: 4 })).toEqual([]);
  });

  it("stores a decision's events as one message, and one message an event when together they would not fit", async () => {
    const jsm = await jetstreamManager(nc);
    const seqOf = async (sessionId: string) => (await jsm.streams.getMessage(names.streams.events, { last_by_subj: names.subjects.events(sessionId) }))!.seq;
    const one = await store.append('decided', [pausedEvent('decided', 1)], emptyHead);
    const three = await store.append('decided', [2, 3, 4].map((n) => pausedEvent('decided', n)), one);
    expect(three).toEqual({ n: 4, seq: one.seq + 1 });
    expect(await seqOf('decided')).toBe(one.seq + 1);
    // Three events of 600 KB each exceed the stream's 1 MiB message limit together, not alone.
    const large = [5, 6, 7].map((n) => pausedEvent('decided', n, 'x'.repeat(600_000)));
    const after = await store.append('decided', large, three);
    expect(after).toEqual({ n: 7, seq: three.seq + 3 });
    expect((await store.read('decided')).map((event) => event.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await store.read('decided', { fromN: 3, toN: 5 })).map((event) => event.n)).toEqual([3, 4, 5]);
    expect(await store.holds('decided', three)).toBe(true);
    expect((await store.first('decided'))?.n).toBe(1);
    // A second writer with the same decision, on the head the first one had, loses whole.
    await expect(store.append('decided', [5, 6].map((n) => ofOtherWriter(pausedEvent('decided', n))), three)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.head('decided')).toEqual(after);
  });

  it('rejects a writer whose view of the head is stale', async () => {
    const head = await store.append('s2', [pausedEvent('s2', 1)], emptyHead);
    await store.append('s2', [pausedEvent('s2', 2)], head);
    // A second writer that still believes the log ends at event 1, or at nothing.
    await expect(store.append('s2', [ofOtherWriter(pausedEvent('s2', 2))], head)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.append('s2', [ofOtherWriter(pausedEvent('s2', 1))], emptyHead)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.read('s2')).map((event) => event.data)).toEqual([{ reason: 'step 1' }, { reason: 'step 2' }]);
  });

  it('takes an append sent again after its answer was lost as done, and the same n of another writer as lost', async () => {
    const one = await store.append('resent', [pausedEvent('resent', 1)], emptyHead);
    const decision = [2, 3].map((n) => pausedEvent('resent', n));
    const two = await store.append('resent', decision, one);
    // The writer never heard the answer (a timeout while the stream elected a leader) and sends it again.
    await expect(store.append('resent', decision, one)).resolves.toEqual(two);
    await expect(store.append('resent', decision.map(ofOtherWriter), one)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.read('resent')).map((event) => event.id)).toEqual(['resent-1', 'resent-2', 'resent-3']);
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

  it('reports a message removed from the middle of a log, whether the read gets each message or pages of them', async () => {
    const heads = await writeSessions({ 'purged-short': 4, 'purged-long': singleGetLimit + 4 });
    const jsm = await jetstreamManager(nc);
    for (const id of ['purged-short', 'purged-long']) {
      const removed = heads[id]?.[3];
      if (!removed) throw new Error('no head for event 3');
      await jsm.streams.deleteMessage(names.streams.events, removed.seq);
      await expect(store.read(id)).rejects.toBeInstanceOf(SequenceGapError);
    }
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
      // The same few messages either way: the read starts at the snapshot's sequence.
      expect(long.messages).toBe(short.messages);
      expect(long.messages).toBeLessThan(20);
      // Without the sequence, the read seeks the message holding event 1,996 (a bisection of the stream's
      // sequences): a few dozen messages, not the 2,000 before it.
      const sought = await received('long', 1_996);
      expect(sought.events).toBe(5);
      expect(sought.messages).toBeLessThan(40);
      // Near the start, a scan from the start is the cheaper way, and still the way taken.
      expect((await received('long', seekFromN)).messages).toBeGreaterThanOrEqual(seekFromN);
    } finally {
      await reader.close();
    }
  });
});

describe('EventStore far into a long log', () => {
  it('reads and follows from any event past where it seeks, one message holding several events or one', async () => {
    const sessionId = 'seek-long';
    let head = emptyHead;
    let n = 1;
    // Decisions of one, two and three events, interleaved with another session's messages.
    for (let decision = 0; n <= 1_600; decision++) {
      const size = (decision % 3) + 1;
      head = await store.append(sessionId, Array.from({ length: size }, (_, i) => pausedEvent(sessionId, n + i)), head);
      n += size;
      if (decision % 2 === 0) await store.append(`seek-other-${decision}`, [pausedEvent(`seek-other-${decision}`, 1)], emptyHead);
    }
    for (const fromN of [seekFromN + 1, 1_201, 1_202, 1_203, head.n]) {
      expect((await store.read(sessionId, { fromN, toN: fromN + 2 })).map((event) => event.n)).toEqual([fromN, fromN + 1, fromN + 2].filter((each) => each <= head.n));
    }
    const followed: number[] = [];
    const stop = new AbortController();
    const following = (async () => {
      for await (const event of store.tail(sessionId, { fromN: 1_500, signal: stop.signal })) {
        followed.push(event.n);
        if (event.n === head.n + 1) stop.abort();
      }
    })();
    await store.append(sessionId, [pausedEvent(sessionId, head.n + 1)], head);
    await following;
    expect(followed).toEqual(Array.from({ length: head.n + 2 - 1_500 }, (_, i) => 1_500 + i));
  });
});

// Reads of more than `singleGetLimit` events are batched; these logs are longer than that.
describe('EventStore reads in pages', () => {
  // A server of its own that takes messages up to 4 MB, so that a single event can outgrow a page.
  let pagingServer: NatsServer;
  let pagingNc: NatsConnection;
  let paging: EventStore;
  beforeAll(async () => {
    pagingServer = await startNatsServer({ config: 'max_payload: 4MB' });
    pagingNc = await connect({ servers: pagingServer.url });
    await provision(pagingNc, names, { maxMessageBytes: 3 * 1024 * 1024 });
    paging = await EventStore.open(pagingNc, names);
  });
  afterAll(async () => {
    await pagingNc.close();
    await pagingServer.dispose();
  });

  /** Event `n` of the session, its reason padded to `bytes` characters. */
  const paddedEvent = (sessionId: string, n: number, bytes: number) => pausedEvent(sessionId, n, String(n).padEnd(bytes, '.'));
  /** Appends events of the given sizes; returns the head after each, by n (index 0 is the empty head). */
  const write = async (sessionId: string, sizes: readonly number[]): Promise<SessionHead[]> => {
    const heads = [emptyHead];
    for (const [index, bytes] of sizes.entries()) heads.push(await paging.append(sessionId, [paddedEvent(sessionId, index + 1, bytes)], heads[index] ?? emptyHead));
    return heads;
  };
  /** The events' numbers and padding sizes, to compare with what was written. */
  const shapeOf = (events: readonly SessionEvent[]) => events.map((event) => [event.n, (event.data as { reason: string }).reason.length]);

  it('reads a log of several pages whole, and from a sequence within it', async () => {
    const sizes = Array.from({ length: 30 }, () => 100_000);
    const heads = await write('paged', sizes);
    // A connection of its own, so its message count is the read's alone.
    const reader = await connect({ servers: pagingServer.url });
    try {
      const readerStore = await EventStore.open(reader, names);
      const before = reader.stats().inMsgs;
      const events = await readerStore.read('paged');
      // Each page ends with the server's end-of-batch message; one more is the head's.
      const pages = reader.stats().inMsgs - before - events.length - 1;
      expect(shapeOf(events)).toEqual(sizes.map((bytes, index) => [index + 1, bytes]));
      expect(pages).toBeGreaterThanOrEqual(Math.ceil((30 * 100_000) / readPageBytes));

      const tailFrom = async (n: number) => (await readerStore.read('paged', { fromN: n, fromSeq: (heads[n - 1]?.seq ?? 0) + 1 })).map((event) => event.n);
      expect(await tailFrom(13)).toEqual(Array.from({ length: 18 }, (_, index) => index + 13));
      expect(await tailFrom(28)).toEqual([28, 29, 30]);
    } finally {
      await reader.close();
    }
  });

  it('reads events just under, just over and well past a page', async () => {
    const around = [readPageBytes - 2_000, readPageBytes - 2_000, 10, readPageBytes + 2_000, 10, 2 * readPageBytes, readPageBytes + 2_000];
    const sizes = [...around, ...Array.from({ length: singleGetLimit }, () => 10)];
    await write('large', sizes);
    expect(shapeOf(await paging.read('large'))).toEqual(sizes.map((bytes, index) => [index + 1, bytes]));
  });

  it('reads up to the head it found first while the log moves on', async () => {
    // Seven of these fill a page, so the last page of 22 has room for what is appended meanwhile.
    const size = Math.ceil(readPageBytes / 7);
    const heads = await write('moving', Array.from({ length: 22 }, () => size));
    const first = heads.at(-1) ?? emptyHead;
    // The read and the appends race: whichever head the read found, it returns exactly the events up to it.
    const loading = paging.load('moving');
    await paging.append('moving', [paddedEvent('moving', 23, size), paddedEvent('moving', 24, 10)], first);
    const { events, head } = await loading;
    expect(head.n).toBeGreaterThanOrEqual(first.n);
    expect(events.map((event) => event.n)).toEqual(Array.from({ length: head.n }, (_, index) => index + 1));
    expect((await paging.read('moving')).length).toBe(24);
  });
});
