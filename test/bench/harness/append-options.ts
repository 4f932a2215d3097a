import { headers, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { JetStreamApiCodes, JetStreamApiError, jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { readFileSync } from 'node:fs';
import { assertNever, encodeEvent, SessionEvent, typeHeader, type Naming } from '@signalbox/events';
import { ConcurrencyError, type EventStore, type SessionHead } from '@signalbox/store';

/**
 * The ways a session actor could append one decision's events, side by side: what the append-contract
 * benchmark times and test/fault/append-race.test.ts races. Each continues the log from `head` and
 * returns the new head, or throws ConcurrencyError when the server says another writer got there first.
 * Only `one-message` is the runtime's code (EventStore.append, since #13 chose it); `sequential` is the
 * append it replaced, and the others are sketches of the options it was measured against.
 */
export type AppendOptionName = 'sequential' | 'atomic-batch' | 'atomic-batch-natsjs' | 'one-message' | 'pipelined';

export const appendOptionNames: readonly AppendOptionName[] = ['sequential', 'atomic-batch', 'atomic-batch-natsjs', 'one-message', 'pipelined'];

export interface AppendOption {
  readonly name: AppendOptionName;
  append(sessionId: string, events: readonly SessionEvent[], head: SessionHead): Promise<SessionHead>;
}

/** What each option is, for the benchmark's report. */
export const optionLabels: Record<AppendOptionName, string> = {
  sequential: 'one event a message, each waits for the last ack (before #13)',
  'atomic-batch': 'atomic batch (ADR-50), one round trip: only the commit asks for a reply',
  'atomic-batch-natsjs': 'atomic batch through nats.js 3.4 startBatch: its first message waits for a reply',
  'one-message': "one message holding the decision's events (the runtime's append)",
  pipelined: 'one event a message, all sent before any ack; only the first is checked (UNSAFE)',
};

/**
 * Server answers that mean another writer won: the head moved (10071), another checked write to the
 * subject is in flight (R3: 10164 "wrong last sequence" without a number; rarely also sent to a sole
 * writer whose last ack left before the server cleared that mark: see appendAsSoleWriter), another writer's event with
 * the same id is being stored (10158), or an id in an atomic batch is already stored (10201, which
 * refuses the whole batch).
 */
const lostTheRace = new Set<number>([JetStreamApiCodes.StreamWrongLastSequence, 10158, 10164, 10201]);

/** The events stream settings an option needs besides the runtime's own: atomic batches must be allowed. */
export const optionStreamSettings = { allow_atomic: true } as const;

export function appendOption(name: AppendOptionName, nc: NatsConnection, names: Naming, store: EventStore): AppendOption {
  const js = jetstream(nc);
  const subject = (sessionId: string) => names.subjects.events(sessionId);
  switch (name) {
    case 'sequential':
      return { name, append: (sessionId, events, head) => appendEachEvent(js, subject(sessionId), events, head) };
    case 'atomic-batch':
      return { name, append: (sessionId, events, head) => appendAtomicBatch(nc, subject(sessionId), events, head) };
    case 'atomic-batch-natsjs':
      return { name, append: (sessionId, events, head) => appendWithStartBatch(js, subject(sessionId), events, head) };
    case 'one-message':
      return { name, append: (sessionId, events, head) => store.append(sessionId, events, head) };
    case 'pipelined':
      return { name, append: (sessionId, events, head) => appendPipelined(js, subject(sessionId), events, head) };
    default:
      return assertNever(name);
  }
}

/** The headers an event is stored with today: its type and its id `<sessionId>/<n>`. */
function eventHeaders(event: SessionEvent): MsgHdrs {
  const hdrs = headers();
  hdrs.set(typeHeader, event.type);
  hdrs.set('Nats-Msg-Id', `${event.sessionId}/${event.n}`);
  return hdrs;
}

function split(events: readonly SessionEvent[]): { first: SessionEvent; last: SessionEvent } {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) throw new Error('a decision appends one event or more');
  return { first, last };
}

/**
 * ADR-50 by hand: every message but the last is a plain publish (no reply, so no round trip), the last
 * commits and is the only request. The server stages the batch and, at the commit, checks the first
 * message's expected subject sequence and every id against the log under the stream's lock: all or none
 * is stored.
 */
async function appendAtomicBatch(nc: NatsConnection, subject: string, events: readonly SessionEvent[], head: SessionHead): Promise<SessionHead> {
  const { first, last } = split(events);
  const batchId = crypto.randomUUID();
  let reply: ReturnType<NatsConnection['request']> | undefined;
  events.forEach((event, index) => {
    const hdrs = eventHeaders(event);
    hdrs.set('Nats-Batch-Id', batchId);
    hdrs.set('Nats-Batch-Sequence', String(index + 1));
    if (event === first) hdrs.set('Nats-Expected-Last-Subject-Sequence', String(head.seq));
    if (event !== last) return nc.publish(subject, encodeEvent(event), { headers: hdrs });
    hdrs.set('Nats-Batch-Commit', '1');
    reply = nc.request(subject, encodeEvent(event), { headers: hdrs, timeout: 5_000 });
  });
  const ack = (await reply!).json<BatchReply>();
  if (ack.error) {
    if (lostTheRace.has(ack.error.err_code)) throw new ConcurrencyError(first.sessionId, head.n);
    throw new Error(`atomic batch for ${first.sessionId} refused: ${ack.error.err_code} ${ack.error.description}`);
  }
  if (ack.count !== events.length) throw new Error(`atomic batch for ${first.sessionId} stored ${ack.count} of ${events.length}`);
  return { n: last.n, seq: ack.seq };
}

interface BatchReply {
  seq: number;
  count?: number;
  error?: { code: number; err_code: number; description: string };
}

/**
 * The same batch through nats.js 3.4's own API: `startBatch` sends the first message as a request and
 * waits for its (empty) reply before the rest go out, so a batch costs two round trips. `add` takes no
 * `msgID` (the header is set by hand), and `commit` reads a refused batch's ack without its error code
 * (a plain Error about the count), so through it a lost race cannot be told from a fault.
 */
async function appendWithStartBatch(js: JetStreamClient, subject: string, events: readonly SessionEvent[], head: SessionHead): Promise<SessionHead> {
  const [first, ...rest] = events;
  const last = rest.pop();
  if (!first || !last) throw new Error('nats.js startBatch needs a decision of two events or more (the commit is a message of its own)');
  const batch = await js.startBatch(subject, encodeEvent(first), { headers: eventHeaders(first), expect: { lastSubjectSequence: head.seq } });
  for (const event of rest) batch.add(subject, encodeEvent(event), { headers: eventHeaders(event) });
  const ack = await batch.commit(subject, encodeEvent(last), { headers: eventHeaders(last), timeout: 5_000 });
  return { n: last.n, seq: ack.seq };
}

/** The append before #13: one event a message, each checked to follow the ack of the one before. */
async function appendEachEvent(js: JetStreamClient, subject: string, events: readonly SessionEvent[], head: SessionHead): Promise<SessionHead> {
  let at = head;
  for (const event of events) {
    const options = { msgID: `${event.sessionId}/${event.n}`, expect: { lastSubjectSequence: at.seq }, headers: typeHeaders(event) };
    at = { n: event.n, seq: (await checked(event.sessionId, at, () => js.publish(subject, encodeEvent(event), options))).seq };
  }
  return at;
}

function typeHeaders(event: SessionEvent): MsgHdrs {
  const hdrs = headers();
  hdrs.set(typeHeader, event.type);
  return hdrs;
}

/**
 * Every event published before any ack comes back. Only the first can carry the check (the stream
 * sequence the next must follow is not known until that ack); the rest are guarded by their ids
 * alone. So this fails like the others when the first loses, but its later events may land anyway.
 */
async function appendPipelined(js: JetStreamClient, subject: string, events: readonly SessionEvent[], head: SessionHead): Promise<SessionHead> {
  const { first, last } = split(events);
  const acks = await Promise.allSettled(
    events.map((event) => {
      const check = event === first ? { expect: { lastSubjectSequence: head.seq } } : {};
      return checked(event.sessionId, head, () => js.publish(subject, encodeEvent(event), { msgID: `${event.sessionId}/${event.n}`, headers: typeHeaders(event), ...check }));
    }),
  );
  const failed = acks.find((ack) => ack.status === 'rejected');
  if (failed) throw failed.reason;
  const lastAck = acks.at(-1);
  return lastAck?.status === 'fulfilled' ? { n: last.n, seq: lastAck.value.seq } : head;
}

/** A publish whose lost race (refused, or dropped as a duplicate of another writer's event) is a ConcurrencyError. */
async function checked(sessionId: string, head: SessionHead, publish: () => Promise<PubAck>): Promise<PubAck> {
  try {
    const ack = await publish();
    if (ack.duplicate) throw new ConcurrencyError(sessionId, head.n);
    return ack;
  } catch (error) {
    if (error instanceof JetStreamApiError && lostTheRace.has(error.code)) throw new ConcurrencyError(sessionId, head.n, error);
    throw error;
  }
}

/** Events 5–8 of a recorded run (tool.completed, model.requested, model.responded, tool.requested), 384–671 bytes as JSON. */
export function recordedStep(): SessionEvent[] {
  const raw: unknown[] = JSON.parse(readFileSync(new URL('../../fixtures/histories/tools-succeed-v3.json', import.meta.url), 'utf8'));
  return raw.slice(4, 8).map((event) => SessionEvent.parse(event) as SessionEvent);
}

/**
 * The four events of a real step (events 5–8 of a recorded run: a tool result and the model request it
 * leads to, then the model's reply and the tool call it asks for), as the two decisions that append them,
 * renumbered to continue `sessionId`'s log after `step - 1` steps.
 */
export function stepDecisions(template: readonly SessionEvent[], sessionId: string, step: number): [SessionEvent[], SessionEvent[]] {
  const events = template.map((event, index) => ({ ...event, sessionId, correlationId: sessionId, n: (step - 1) * template.length + index + 1 }));
  return [events.slice(0, 2), events.slice(2)];
}

/**
 * A sole writer's append as an actor would finish it: a refusal (on R3, 10164 "wrong last sequence"
 * can answer a checked write sent just after the ack of the previous one, before the server has cleared
 * the subject's in-flight mark) makes it read the head and append the events still missing.
 */
export async function appendAsSoleWriter(
  option: AppendOption,
  store: EventStore,
  events: readonly SessionEvent[],
  head: SessionHead,
): Promise<{ head: SessionHead; refusals: number }> {
  const sessionId = events[0]!.sessionId;
  for (let refusals = 0, rest = events; ; ) {
    try {
      return { head: await option.append(sessionId, rest, head), refusals };
    } catch (error) {
      const refused = error instanceof ConcurrencyError || (error instanceof JetStreamApiError && error.code === 10164);
      if (!refused || ++refusals > 5) throw error;
      head = await store.head(sessionId);
      rest = rest.filter((event) => event.n > head.n);
      if (rest.length === 0) return { head, refusals };
    }
  }
}
