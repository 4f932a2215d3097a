import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { deliveriesHeader, errorHeader, sourceSubjectHeader, type Naming } from '@signalbox/events';

/** Input that can never succeed (malformed, invalid, unknown target): dead-letter it at once, never retry. */
export class Rejection extends Error {
  override readonly name = 'Rejection';
  readonly code = 'rejected';
}

/**
 * Keeps a message that will not be processed in `sbx.dlq.<source>`, byte for byte, with the reason
 * and where it came from, so it can be inspected and re-driven. Deduplicated by its stream position.
 */
export async function deadLetter(nc: NatsConnection, names: Naming, source: string, message: DeadLetterInput, reason: string): Promise<void> {
  const hdrs = headers();
  for (const [key, values] of message.headers ?? []) {
    if (isServerDirective(key)) continue;
    for (const value of values) hdrs.append(key, value);
  }
  hdrs.set(errorHeader, oneLine(reason));
  hdrs.set(sourceSubjectHeader, message.subject);
  hdrs.set(deliveriesHeader, String(message.deliveries));
  await jetstream(nc).publish(names.subjects.dlq(source), message.data, {
    headers: hdrs,
    msgID: `${source}/${message.id}`,
  });
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
