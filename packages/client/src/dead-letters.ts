import { headers, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { deadLetterObjectHeader, deliveriesHeader, errorHeader, sourceSubjectHeader, type Naming } from '@signalbox/events';
import { DeadLetterBodies } from '@signalbox/store';

/** A message the runtime would not process, as the dead-letter stream keeps it. */
export interface DeadLetter {
  /** Its sequence in the dead-letter stream: what `redrive` takes. */
  seq: number;
  /** `sbx.dlq.<source>`: tasks, inbox, jobs. */
  subject: string;
  /** The subject it was published to, where a re-drive sends it again. */
  from: string;
  reason: string;
  deliveries: number;
  /** When it was dead-lettered, ms since the epoch. */
  at: number;
  /** The original message, byte for byte; empty when it was too large to copy (see `object`). */
  data: Uint8Array;
  /** Set when the body was too large for the dead-letter stream: its name in the dead-letters object store. */
  object?: string;
}

/** A dead letter that is not there (never was, or already re-driven), or that names no subject to go back to. */
export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
  readonly code = 'dead_letter_unusable';
}

/** Headers the dead-letter stream added, which a re-driven message must not carry back. */
const addedHeaders = new Set([errorHeader, sourceSubjectHeader, deliveriesHeader, deadLetterObjectHeader, 'Nats-Msg-Id'].map((name) => name.toLowerCase()));

/** The latest `limit` dead letters, newest first. */
export async function listDeadLetters(nc: NatsConnection, names: Naming, limit: number): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(names.streams.dlq);
  const letters: DeadLetter[] = [];
  if (state.messages === 0) return letters;
  // Re-driven letters leave gaps: walk back from the last until `limit` are found.
  for (let seq = state.last_seq; seq >= state.first_seq && letters.length < limit; seq--) {
    const stored = await storedAt(jsm, names, seq);
    if (stored) letters.push(deadLetterOf(stored));
  }
  return letters;
}

/**
 * Publishes dead letter `seq` again to the subject it came from, with its own headers (a task's
 * `Content-Type` and `Sbx-Reply-To`, say), then removes it from the dead-letter stream. Returns
 * the subject it went to. Should the removal fail, re-driving it again within the stream's
 * duplicate window does not send it twice.
 */
export async function redrive(nc: NatsConnection, names: Naming, seq: number): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const stored = await storedAt(jsm, names, seq);
  if (!stored) throw new DeadLetterError(`no dead letter ${seq}: it was re-driven already, or never was`);
  const letter = deadLetterOf(stored);
  if (!letter.from.startsWith(`${names.prefix}.`)) throw new DeadLetterError(`dead letter ${seq} names no subject of this installation to go back to`);
  const bodies = new DeadLetterBodies(nc, names);
  const data = letter.object === undefined ? letter.data : await bodies.get(letter.object);
  if (!data) throw new DeadLetterError(`dead letter ${seq}'s body, ${letter.object}, is no longer in ${names.objectStores.deadLetters}`);
  await jetstream(nc).publish(letter.from, data, { headers: originalHeaders(stored.header), msgID: `redrive/${names.streams.dlq}/${seq}` });
  await jsm.streams.deleteMessage(names.streams.dlq, seq, false);
  if (letter.object !== undefined) await bodies.delete(letter.object);
  return letter.from;
}

/** Undefined for a sequence with no message: never written, or re-driven (deleted). */
async function storedAt(jsm: JetStreamManager, names: Naming, seq: number): Promise<StoredMsg | undefined> {
  return (await jsm.streams.getMessage(names.streams.dlq, { seq })) ?? undefined;
}

function deadLetterOf(stored: StoredMsg): DeadLetter {
  const header = stored.header;
  return {
    seq: stored.seq,
    subject: stored.subject,
    from: header.get(sourceSubjectHeader),
    reason: header.get(errorHeader),
    deliveries: Number(header.get(deliveriesHeader) || 0),
    at: stored.time.getTime(),
    data: stored.data,
    ...(header.has(deadLetterObjectHeader) ? { object: header.get(deadLetterObjectHeader) } : {}),
  };
}

function originalHeaders(stored: MsgHdrs): MsgHdrs | undefined {
  const kept = headers();
  let any = false;
  for (const [key, values] of stored) {
    if (addedHeaders.has(key.toLowerCase())) continue;
    for (const value of values) kept.append(key, value);
    any = true;
  }
  return any ? kept : undefined;
}
