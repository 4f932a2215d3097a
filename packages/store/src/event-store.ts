import { headers, type NatsConnection } from '@nats-io/nats-core';
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type MsgRequest,
  type StoredMsg,
} from '@nats-io/jetstream';
import { DecodeError, decodeEventMessage, encodeEventMessage, typeHeader, type Naming, type SessionEvent } from '@signalbox/events';
import { setTimeout as sleep } from 'node:timers/promises';
import { directBatch } from './direct-batch.ts';
import { ConcurrencyError, CorruptLogError, DuplicateEventError, IncompleteReadError, SequenceGapError } from './errors.ts';
import { seekEvent, type LogPosition } from './seek-event.ts';

/** Where a session's log ends: its last event number and the stream sequence of the message holding it. */
export interface SessionHead {
  n: number;
  seq: number;
}

export const emptyHead: SessionHead = { n: 0, seq: 0 };

/**
 * What a stream answers an append after the session's head moved on: another writer won, unless
 * the message after the expected head is this append's own earlier try (see `#ownEarlierTry`).
 */
const lostTheRace = new Set<number>([JetStreamApiCodes.StreamWrongLastSequence]);

/**
 * Refusals that say nothing yet about who won, so the same append (same check and id) is sent again:
 * - 10164, "wrong last sequence" without a sequence: on a replicated stream the server can acknowledge
 *   an append before it clears the subject's in-flight mark, and refuse the writer's next checked
 *   append with this (about once in 10^4 appends measured on 2.15.1);
 * - 10158, "duplicate message id is in process" (replicated streams, 2.12+): an event with the same
 *   `<sessionId>/<n>` id is being committed now, by another writer or by this append's own earlier
 *   try whose answer was lost. Once committed, the retry is answered as a duplicate, and whose it is
 *   can be read.
 */
export const inFlightRefusals = new Set<number>([10164, 10158]);
export const inFlightRetries = 5;

/**
 * Tries of an append whose request timed out or found no responder (a stream electing its leader takes
 * seconds): nats.js sends it again, with the same id and check, backing off. The writer then goes on
 * with the effects its events ask for, where giving up would leave them to a redelivery that another
 * actor may already have acknowledged.
 */
export const transientRetries = 6;

/** Room left in a message for its headers (id, check, types) under the stream's and server's size limits. */
const headerRoomBytes = 4096;

/**
 * Reads of up to this many events take one direct get each. A batched get makes the server count the
 * subject's messages from the batch's start on (its `Nats-Num-Pending`), scanning stream blocks around
 * the start: on 2.15 with 10^4 to 10^6 messages, one batch took as long as 1 to 16 single gets.
 */
export const singleGetLimit = 8;

/**
 * Bytes of events one batched direct get returns at most (always at least one event, however large);
 * a read pages on past it. Without it the bound is the server's 64 MiB `max_pending`, where it cuts a
 * slow reader off, and appends to the stream can wait while the server gathers a batch.
 */
export const readPageBytes = 1024 * 1024;

/** A read that comes back short (a lagging replica answered) is tried this often, waiting a little longer each time. */
const readAttempts = 5;
export const readRetryMs = 50;
/** How long one page of a batched read may take in all, as long as a JetStream API request may. */
const pageTimeoutMs = 5_000;
/**
 * A read or a follow that starts past this event, with no stream sequence to start at, seeks the
 * message holding its first event (a bisection, ~25 direct gets on a stream of 10 million messages)
 * rather than reading every event before it.
 */
export const seekFromN = 1_000;

export interface ReadOptions {
  /** First event number to return (events before it are skipped). */
  fromN?: number;
  /** Last event number to return (a read stops there, however far the log goes on). */
  toN?: number;
  /** Stream sequence to start scanning at, when known (from a snapshot); saves reading the start of the log. */
  fromSeq?: number;
}

/**
 * The session logs, read-only: what every service but the session actor is given (`ServiceContext.store`).
 * Only the session actor appends, through `EventStore`; the types and the lint keep it so.
 */
export interface EventReader {
  head(sessionId: string): Promise<SessionHead>;
  first(sessionId: string): Promise<SessionEvent | undefined>;
  holds(sessionId: string, at: SessionHead): Promise<boolean>;
  read(sessionId: string, options?: ReadOptions): Promise<SessionEvent[]>;
  tail(sessionId: string, options?: ReadOptions & { signal?: AbortSignal }): AsyncGenerator<SessionEvent>;
  tailAll(options?: { signal?: AbortSignal; fromSeq?: number }): AsyncGenerator<SessionEvent>;
}

/** A read-only view of the session logs, for a process that must not append (clients, every service but the actor). */
export async function openEventReader(nc: NatsConnection, names: Naming): Promise<EventReader> {
  return EventStore.open(nc, names);
}

/**
 * The session logs in the events stream. Only the session actor appends; anyone may read or tail.
 * Each append is checked against the session's head, so two writers can never both extend one log.
 */
export class EventStore implements EventReader {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #names: Naming;
  #limit: Promise<number> | undefined;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, names: Naming) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#jsm = jsm;
    this.#names = names;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<EventStore> {
    return new EventStore(nc, await jetstreamManager(nc), names);
  }

  /**
   * The session's head, as the stream's leader has it: a direct get may be answered by a replica that
   * lags, and a writer deciding on an old head takes a command for one its state does not expect
   * yet (a result for a call it has not seen) and drops it. The cost does not grow with the stream.
   */
  async head(sessionId: string): Promise<SessionHead> {
    const stored = await this.#jsm.streams.getMessage(this.#names.streams.events, {
      last_by_subj: this.#names.subjects.events(sessionId),
    });
    if (!stored) return emptyHead;
    return { n: eventsIn(stored.subject, stored.seq, stored.data).at(-1)!.n, seq: stored.seq };
  }

  /**
   * The session's first event (its `session.created`), or undefined when it has none, as the stream's
   * leader has it: a replica that lags might not hold it yet, and a fork read as no fork would lose
   * its origin's workspace.
   */
  async first(sessionId: string): Promise<SessionEvent | undefined> {
    // The stream API; nats.js types it without `next_by_subj`, which nats-server has answered since 2.9.
    const request = { seq: 1, next_by_subj: this.#names.subjects.events(sessionId) } as MsgRequest;
    const stored = await this.#jsm.streams.getMessage(this.#names.streams.events, request);
    return stored ? eventsIn(stored.subject, stored.seq, stored.data)[0] : undefined;
  }

  /**
   * Whether the log holds the session's event `at.n` at stream sequence `at.seq`, read with a direct
   * get. A snapshot ending there is trusted only if so: the stream may have been replaced since.
   */
  async holds(sessionId: string, at: SessionHead): Promise<boolean> {
    const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq: at.seq });
    return stored?.subject === this.#names.subjects.events(sessionId) && eventsIn(stored.subject, stored.seq, stored.data).at(-1)!.n === at.n;
  }

  /**
   * Appends events that continue the log from `expected`: one decision's events as one message (the
   * append contract), or one message an event when together they would not fit in one. Throws
   * ConcurrencyError when another writer got there first; the caller reloads and decides again.
   */
  async append(sessionId: string, events: readonly SessionEvent[], expected: SessionHead): Promise<SessionHead> {
    events.forEach((event, i) => {
      const n = expected.n + i + 1;
      if (event.sessionId !== sessionId || event.n !== n) throw new SequenceGapError(sessionId, n, event.n);
    });
    if (events.length === 0) return expected;
    const whole = encodeEventMessage(events);
    if (events.length === 1 || whole.length <= (await this.#messageLimit())) return this.#publish(events, whole, expected);
    let head = expected;
    for (const event of events) head = await this.#publish([event], encodeEventMessage([event]), head);
    return head;
  }

  /** One message holding `events`, checked to follow `head` directly; returns the new head. */
  async #publish(events: readonly SessionEvent[], data: Uint8Array, head: SessionHead): Promise<SessionHead> {
    const first = events[0]!;
    const hdrs = headers();
    hdrs.set(typeHeader, events.map((event) => event.type).join(','));
    const options = { msgID: `${first.sessionId}/${first.n}`, expect: { lastSubjectSequence: head.seq }, headers: hdrs, retries: transientRetries };
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await this.#js.publish(this.#names.subjects.events(first.sessionId), data, options);
        // A duplicate id means event n was already written: by another writer, or by this very append.
        if (!ack.duplicate) return { n: events.at(-1)!.n, seq: ack.seq };
        return await this.#ownEarlierTry(events, head);
      } catch (error) {
        if (!(error instanceof JetStreamApiError)) throw error;
        if (lostTheRace.has(error.code)) return await this.#ownEarlierTry(events, head, error);
        if (!inFlightRefusals.has(error.code) || attempt >= inFlightRetries) throw error;
        await sleep(readRetryMs * attempt);
      }
    }
  }

  /**
   * An append refused because the log already holds event n (its id, or a head past `head`): when the
   * message after `head` is this append itself (same event ids), sent by an earlier try whose answer
   * was lost, the append is done and its head is returned. Otherwise another writer won: ConcurrencyError.
   */
  async #ownEarlierTry(events: readonly SessionEvent[], head: SessionHead, cause?: unknown): Promise<SessionHead> {
    const first = events[0]!;
    // The stream API, so the leader answers; nats.js types it without `next_by_subj`, answered since 2.9.
    const request = { seq: head.seq + 1, next_by_subj: this.#names.subjects.events(first.sessionId) } as MsgRequest;
    const stored = await this.#jsm.streams.getMessage(this.#names.streams.events, request);
    const held = stored ? eventsIn(stored.subject, stored.seq, stored.data) : [];
    const own = held.length === events.length && held.every((event, i) => event.id === events[i]!.id);
    if (!own || !stored) throw new ConcurrencyError(first.sessionId, head.n, cause);
    return { n: events.at(-1)!.n, seq: stored.seq };
  }

  /** The largest message the events stream and the server take, less room for headers; read once. */
  #messageLimit(): Promise<number> {
    this.#limit ??= this.#jsm.streams.info(this.#names.streams.events).then(
      ({ config }) => {
        const limits = [config.max_msg_size, this.#nc.info?.max_payload ?? 0].filter((limit) => limit > 0);
        return Math.min(...limits, Number.MAX_SAFE_INTEGER) - headerRoomBytes;
      },
      (error: unknown) => {
        this.#limit = undefined; // asked again on the next append
        throw error;
      },
    );
    return this.#limit;
  }

  /** The session's events as they are now, checked to be contiguous. */
  async read(sessionId: string, options: ReadOptions = {}): Promise<SessionEvent[]> {
    return (await this.load(sessionId, options)).events;
  }

  /**
   * The session's events and the head they end at, for a writer that will append after them. On a
   * cluster each direct get may be answered by another replica, and one lagging behind the replica
   * that gave the head lacks the last events: such a read is tried again, and never returned short
   * (a writer deciding on it would append after events it never saw). Throws IncompleteReadError.
   */
  async load(sessionId: string, options: ReadOptions = {}): Promise<{ events: SessionEvent[]; head: SessionHead }> {
    for (let attempt = 1; ; attempt++) {
      const read = await this.#loadOnce(sessionId, options);
      const lastN = read.events.at(-1)?.n ?? (options.fromN ?? 1) - 1;
      if (lastN >= Math.min(read.head.n, options.toN ?? Infinity)) return read;
      if (attempt >= readAttempts) throw new IncompleteReadError(sessionId, read.head.n, lastN);
      await sleep(readRetryMs * attempt);
    }
  }

  async #loadOnce(sessionId: string, options: ReadOptions): Promise<{ events: SessionEvent[]; head: SessionHead }> {
    const head = await this.head(sessionId);
    const fromN = options.fromN ?? 1;
    const toN = Math.min(head.n, options.toN ?? Infinity);
    // Nothing after `fromN - 1`: the head is still the real one, for the caller's next append.
    if (toN < fromN) return { events: [], head };
    const subject = this.#names.subjects.events(sessionId);
    // A known sequence is where the read starts, unless it is past the head (then it cannot hold `fromN`).
    const start = options.fromSeq !== undefined && options.fromSeq <= head.seq ? { seq: options.fromSeq, n: fromN } : await this.#startOf(subject, fromN, head);
    // No consumer: creating one can stall while a cluster node is down.
    const toRead = toN - start.n + 1;
    const source = toRead <= singleGetLimit ? this.#getEach(subject, start.seq, head.seq) : this.#getBatches(subject, start, { n: toN, seq: head.seq });
    const events: SessionEvent[] = [];
    const check = contiguityCheck(sessionId, fromN);
    for await (const event of source) {
      if (event.n > toN) break;
      if (event.n < fromN) continue;
      check(event);
      events.push(event);
    }
    return { events, head };
  }

  /**
   * Where to start reading for event `fromN`: the log's start, or, far into it, the message holding the
   * event. A replica that lags can only make the seek land earlier (it never answers a message that is
   * not there), so the read it starts is never short.
   */
  async #startOf(subject: string, fromN: number, head: SessionHead): Promise<LogPosition> {
    const fromStart = { seq: 1, n: 1 };
    if (fromN <= seekFromN) return fromStart;
    const firstAtOrAfter = async (seq: number): Promise<LogPosition | undefined> => {
      const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq, next_by_subj: subject });
      return stored ? { seq: stored.seq, n: eventsIn(stored.subject, stored.seq, stored.data)[0]!.n } : undefined;
    };
    return (await seekEvent(fromN, 1, head.seq, firstAtOrAfter)) ?? fromStart;
  }

  /** The subject's events from `fromSeq` up to `lastSeq`, one direct get each (`next_by_subj`). */
  async *#getEach(subject: string, fromSeq: number, lastSeq: number): AsyncGenerator<SessionEvent> {
    for (let seq = fromSeq; seq <= lastSeq; ) {
      const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq, next_by_subj: subject });
      if (!stored || stored.seq > lastSeq) return;
      yield* eventsIn(stored.subject, stored.seq, stored.data);
      seq = stored.seq + 1;
    }
  }

  /**
   * The subject's events from `start` (a stream sequence and the event number expected there) up to
   * `head`, a page of batched direct gets at a time. Each page asks for the events left, so it ends
   * at the head read first, however far the log has moved on since.
   */
  async *#getBatches(subject: string, start: { seq: number; n: number }, head: SessionHead): AsyncGenerator<SessionEvent> {
    let { seq, n } = start;
    while (seq <= head.seq) {
      const page = await this.#page(subject, seq, Math.max(1, head.n - n + 1));
      // The server answers "not found" rather than an empty page; this only guards the loop.
      if (page.length === 0) return;
      for (const stored of page) {
        const storedSeq = stored.seq; // parsed from a header on each access
        if (storedSeq > head.seq) return;
        const events = eventsIn(stored.subject, storedSeq, stored.data);
        yield* events;
        seq = storedSeq + 1;
        n = events.at(-1)!.n + 1;
      }
    }
  }

  /** Up to `count` of the subject's messages from stream sequence `seq`, fewer past `readPageBytes`. */
  #page(subject: string, seq: number, count: number): Promise<StoredMsg[]> {
    return directBatch(this.#jsm, this.#names.streams.events, { seq, next_by_subj: subject, batch: count, max_bytes: readPageBytes }, pageTimeoutMs);
  }

  /** Follows a session's log live from `fromN` (default: the start) until the signal aborts. */
  async *tail(sessionId: string, options: ReadOptions & { signal?: AbortSignal } = {}): AsyncGenerator<SessionEvent> {
    const fromN = options.fromN ?? 1;
    const subject = this.#names.subjects.events(sessionId);
    const fromSeq = options.fromSeq ?? (fromN > seekFromN ? (await this.#startOf(subject, fromN, await this.head(sessionId))).seq : undefined);
    const check = contiguityCheck(sessionId, fromN);
    for await (const event of this.#follow(subject, fromSeq, options.signal)) {
      if (event.n < fromN) continue;
      check(event);
      yield event;
    }
  }

  /** Follows every session's events live (the supervisor's and the console's view). */
  async *tailAll(options: { signal?: AbortSignal; fromSeq?: number } = {}): AsyncGenerator<SessionEvent> {
    yield* this.#follow(this.#names.subjects.allEvents, options.fromSeq, options.signal);
  }

  /** The subject's events from `fromSeq` (default: the start) on, as they are appended, through an ordered consumer. */
  async *#follow(subject: string, fromSeq?: number, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const consumer = await this.#js.consumers.get(this.#names.streams.events, {
      filter_subjects: subject,
      ...(fromSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq } : {}),
    });
    const messages = await consumer.consume();
    const stop = () => void messages.stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (signal?.aborted) return;
      for await (const message of messages) yield* eventsIn(message.subject, message.seq, message.data);
    } finally {
      signal?.removeEventListener('abort', stop);
      await messages.close();
      // An ordered consumer outlives its close on the server for its inactive threshold (5 minutes):
      // a gateway opening a stream per browser tab would pile them up. Not awaited: a user without
      // the right to delete it leaves it to expire, as before.
      void consumer.delete().catch(() => false);
    }
  }
}

/** Returns a checker that throws when events stop counting up by one from `fromN`. */
function contiguityCheck(sessionId: string, fromN: number): (event: SessionEvent) => void {
  let expected = fromN;
  return (event) => {
    if (event.n < expected) throw new DuplicateEventError(sessionId, event.n);
    if (event.n > expected) throw new SequenceGapError(sessionId, expected, event.n);
    expected += 1;
  };
}

/** A stored message's events; one that is not a CorruptLogError naming where it is. */
function eventsIn(subject: string, seq: number, data: Uint8Array): SessionEvent[] {
  try {
    return decodeEventMessage(data);
  } catch (error) {
    if (error instanceof DecodeError) throw new CorruptLogError(subject, seq, error);
    throw error;
  }
}
