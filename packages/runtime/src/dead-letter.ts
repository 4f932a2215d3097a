import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { decode, DecodeError, deadLetterObjectHeader, deliveriesHeader, errorHeader, sourceSubjectHeader, type Naming } from '@signalbox/events';
import type { z } from 'zod';
import type { Logger } from './logger.ts';
import { DeadLetterBodies } from '@signalbox/store';

/** Input that can never succeed (malformed, invalid, unknown target): dead-letter it at once, never retry. */
export class Rejection extends Error {
  override readonly name = 'Rejection';
  readonly code = 'rejected';
  readonly permanent = true;
}

/**
 * True when `error`, or an error it was caused by, fails the same way on every delivery: a
 * Rejection, a DecodeError (undecodable, too large, too deep, against the schema), anything marked
 * `permanent`, or a stack overflow (a value nested too deep for some recursive walk).
 */
export function isPermanent(error: unknown): boolean {
  for (let cause = error, hops = 0; cause instanceof Error && hops < 8; cause = cause.cause, hops++) {
    if ('permanent' in cause && cause.permanent === true) return true;
    if (cause instanceof RangeError && /call stack/i.test(cause.message)) return true;
  }
  return false;
}

/**
 * Keeps a message that will not be processed in `sbx.dlq.<source>`, byte for byte, with the reason
 * and where it came from, so it can be inspected and re-driven. Deduplicated by its stream position.
 * Resolves to its sequence in the dead-letter stream, what `signalbox redrive` takes.
 */
export async function deadLetter(nc: NatsConnection, names: Naming, source: string, message: DeadLetterInput, reason: string): Promise<number> {
  const hdrs = headers();
  for (const [key, values] of message.headers ?? []) {
    if (isServerDirective(key)) continue;
    for (const value of values) hdrs.append(key, value);
  }
  hdrs.set(errorHeader, oneLine(reason));
  hdrs.set(sourceSubjectHeader, message.subject);
  hdrs.set(deliveriesHeader, String(message.deliveries));
  const msgID = `${source}/${message.id}`;
  let data = message.data;
  if (data.length + headerBytes(hdrs) > maxPayloadOf(nc) - payloadMarginBytes) {
    // The copy would exceed what the server takes, and the message would be retried forever: keep the body aside.
    await new DeadLetterBodies(nc, names).put(msgID, data);
    hdrs.set(deadLetterObjectHeader, msgID);
    data = new Uint8Array();
  }
  // A duplicate (the same message buried again after a crash) is acknowledged with the first one's sequence.
  return (await jetstream(nc).publish(names.subjects.dlq(source), data, { headers: hdrs, msgID })).seq;
}

/** Room left for what the server adds and for header framing this count leaves out. */
const payloadMarginBytes = 1024;
const defaultMaxPayload = 1024 * 1024;

function maxPayloadOf(nc: NatsConnection): number {
  return nc.info?.max_payload ?? defaultMaxPayload;
}

function headerBytes(hdrs: Iterable<[string, string[]]>): number {
  let bytes = 'NATS/1.0\r\n\r\n'.length;
  for (const [key, values] of hdrs) for (const value of values) bytes += Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
  return bytes;
}

export interface DeadLetterInput {
  /** Unique per original message, for deduplication (stream name and sequence). */
  id: string;
  subject: string;
  data: Uint8Array;
  headers: Iterable<[string, string[]]> | undefined;
  deliveries: number;
}

/** A message's place in its stream, `<stream>/<seq>`: unique, and the same on every redelivery. */
export function positionOf(message: JsMsg): string {
  return `${message.info.stream}/${message.seq}`;
}

export function deadLetterInputOf(message: JsMsg): DeadLetterInput {
  return {
    id: positionOf(message),
    subject: message.subject,
    data: message.data,
    headers: message.headers,
    deliveries: message.info.deliveryCount,
  };
}

/**
 * `Nats-*` headers are instructions to the server that stored the original (a schedule, a TTL, an
 * expected sequence), which the dead-letter stream would obey or refuse: it refused a fired timer
 * carrying `Nats-Scheduler` ("message schedules is disabled"), so that timer could never be buried.
 */
function isServerDirective(header: string): boolean {
  return header.toLowerCase().startsWith('nats-');
}

// Header values cannot hold line breaks.
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 2000);
}

/** A work message's body as `schema` reads it; one that cannot be read is a Rejection, dead-lettered with the reason. */
export function decodeWork<S extends z.ZodType>(schema: S, message: JsMsg, what: string): z.infer<S> {
  try {
    return decode(schema, message.data, what);
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
}

/**
 * A dead-lettered job's body as `schema` reads it, to tell its session; undefined (logged) when it
 * cannot be read: it names no session, and stays in the dead-letter stream.
 */
export function decodeDeadLettered<S extends z.ZodType>(schema: S, message: JsMsg, what: string, logger: Logger): z.infer<S> | undefined {
  try {
    return decode(schema, message.data, what);
  } catch (error) {
    logger.error({ err: error, subject: message.subject }, `dead-lettered ${what} cannot be decoded; no session to tell`);
    return undefined;
  }
}
