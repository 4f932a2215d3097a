import { headers, type NatsConnection } from '@nats-io/nats-core';
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { decodeEvent, encodeEvent, typeHeader, type Naming, type SessionEvent } from '@signalbox/events';
import { ConcurrencyError, DuplicateEventError, SequenceGapError } from './errors.ts';

/** Where a session's log ends: its last event number and that event's stream sequence. */
export interface SessionHead {
  n: number;
  seq: number;
}

export const emptyHead: SessionHead = { n: 0, seq: 0 };

/** Reads of up to this many events use direct gets rather than a consumer. */
const directReadLimit = 64;

export interface ReadOptions {
  /** First event number to return (events before it are skipped). */
  fromN?: number;
  /** Stream sequence to start scanning at, when known (from a snapshot); saves reading the start of the log. */
  fromSeq?: number;
}

/**
 * The session logs in the events stream. Only the session actor appends; anyone may read or tail.
 * Each append is checked against the session's head, so two writers can never both extend one log.
 */
export class EventStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #names: Naming;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, names: Naming) {
    this.#js = js;
    this.#jsm = jsm;
    this.#names = names;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<EventStore> {
    return new EventStore(jetstream(nc), await jetstreamManager(nc), names);
  }

  /** The session's head, read with a direct get: the cost does not grow with the stream. */
  async head(sessionId: string): Promise<SessionHead> {
    const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, {
      last_by_subj: this.#names.subjects.events(sessionId),
    });
    if (!stored) return emptyHead;
    return { n: decodeEvent(stored.data).n, seq: stored.seq };
  }

  /** The session's first event (its `session.created`), or undefined when it has none. */
  async first(sessionId: string): Promise<SessionEvent | undefined> {
    const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq: 1, next_by_subj: this.#names.subjects.events(sessionId) });
    return stored ? decodeEvent(stored.data) : undefined;
  }

  /**
   * Whether the log holds the session's event `at.n` at stream sequence `at.seq`, read with a direct
   * get. A snapshot ending there is trusted only if so: the stream may have been replaced since.
   */
  async holds(sessionId: string, at: SessionHead): Promise<boolean> {
    const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq: at.seq });
    return stored?.subject === this.#names.subjects.events(sessionId) && decodeEvent(stored.data).n === at.n;
  }

  /**
   * Appends events that continue the log from `expected`. Throws ConcurrencyError when another
   * writer got there first; the caller reloads and decides again.
   */
  async append(sessionId: string, events: readonly SessionEvent[], expected: SessionHead): Promise<SessionHead> {
    let head = expected;
    for (const event of events) {
      if (event.sessionId !== sessionId || event.n !== head.n + 1) {
        throw new SequenceGapError(sessionId, head.n + 1, event.n);
      }
      head = { n: event.n, seq: await this.#publish(event, head) };
    }
    return head;
  }

  async #publish(event: SessionEvent, head: SessionHead): Promise<number> {
    const hdrs = headers();
    hdrs.set(typeHeader, event.type);
    try {
      const ack = await this.#js.publish(this.#names.subjects.events(event.sessionId), encodeEvent(event), {
        msgID: `${event.sessionId}/${event.n}`,
        expect: { lastSubjectSequence: head.seq },
        headers: hdrs,
      });
      // A duplicate id means event n was already written, by us before a lost ack or by another writer.
      if (ack.duplicate) throw new ConcurrencyError(event.sessionId, head.n);
      return ack.seq;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) {
        throw new ConcurrencyError(event.sessionId, head.n, error);
      }
      throw error;
    }
  }

  /** The session's events as they are now, checked to be contiguous. */
  async read(sessionId: string, options: ReadOptions = {}): Promise<SessionEvent[]> {
    return (await this.load(sessionId, options)).events;
  }

  /** The session's events and the head they end at, for a writer that will append after them. */
  async load(sessionId: string, options: ReadOptions = {}): Promise<{ events: SessionEvent[]; head: SessionHead }> {
    const head = await this.head(sessionId);
    const fromN = options.fromN ?? 1;
    // Nothing after `fromN - 1`: the head is still the real one, for the caller's next append.
    if (head.n < fromN) return { events: [], head };
    // A start past the head cannot hold event `fromN`; scanning from there would wait forever.
    const fromSeq = options.fromSeq !== undefined && options.fromSeq <= head.seq ? options.fromSeq : undefined;
    const subject = this.#names.subjects.events(sessionId);
    // Few events (a snapshot's tail, a short session): direct gets, which need no consumer. A consumer
    // is cheaper per event for long reads, but creating one can stall while a cluster node is down.
    const toRead = fromSeq === undefined ? head.n : head.n - fromN + 1;
    const source = toRead <= directReadLimit ? this.#getEach(subject, fromSeq ?? 1, head.seq) : this.#scan(subject, fromSeq);
    const events: SessionEvent[] = [];
    const check = contiguityCheck(sessionId, fromN);
    for await (const { event, seq } of source) {
      if (event.n >= fromN) {
        check(event);
        events.push(event);
      }
      if (seq >= head.seq) break;
    }
    return { events, head };
  }

  /** The subject's messages from `fromSeq` up to `lastSeq`, one direct get each (`next_by_subj`). */
  async *#getEach(subject: string, fromSeq: number, lastSeq: number): AsyncGenerator<{ event: SessionEvent; seq: number }> {
    for (let seq = fromSeq; seq <= lastSeq; ) {
      const stored = await this.#jsm.direct.getMessage(this.#names.streams.events, { seq, next_by_subj: subject });
      if (!stored) return;
      yield { event: decodeEvent(stored.data), seq: stored.seq };
      seq = stored.seq + 1;
    }
  }

  /** Follows a session's log live from `fromN` (default: the start) until the signal aborts. */
  async *tail(sessionId: string, options: ReadOptions & { signal?: AbortSignal } = {}): AsyncGenerator<SessionEvent> {
    const fromN = options.fromN ?? 1;
    const check = contiguityCheck(sessionId, fromN);
    for await (const { event } of this.#scan(this.#names.subjects.events(sessionId), options.fromSeq, options.signal)) {
      if (event.n < fromN) continue;
      check(event);
      yield event;
    }
  }

  /** Follows every session's events live (the supervisor's and the console's view). */
  async *tailAll(options: { signal?: AbortSignal; fromSeq?: number } = {}): AsyncGenerator<SessionEvent> {
    for await (const { event } of this.#scan(this.#names.subjects.allEvents, options.fromSeq, options.signal)) yield event;
  }

  async *#scan(subject: string, fromSeq?: number, signal?: AbortSignal): AsyncGenerator<{ event: SessionEvent; seq: number }> {
    const consumer = await this.#js.consumers.get(this.#names.streams.events, {
      filter_subjects: subject,
      ...(fromSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq } : {}),
    });
    const messages = await consumer.consume();
    const stop = () => void messages.stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (signal?.aborted) return;
      for await (const message of messages) {
        yield { event: decodeEvent(message.data), seq: message.seq };
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      await messages.close();
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
