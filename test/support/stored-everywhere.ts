import { decode } from '@msgpack/msgpack';
import { jetstreamManager, type MsgRequest, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** Where a needle was found: the stream (a bucket is `KV_<name>`, an object store `OBJ_<name>`), the message, and in what part of it. */
export interface Finding {
  needle: string;
  stream: string;
  seq: number;
  subject: string;
  where: 'subject' | 'header' | 'body';
}

/**
 * Every message of every stream on the server (KV buckets and object stores are streams too), read
 * one by one with the stream API, searched for each needle in its subject, headers and body: the
 * body as bytes and, where it is msgpack or JSON, decoded, so a string split by an encoding is still found.
 */
export async function findEverywhere(nc: NatsConnection, needles: readonly string[], skipStreams: readonly string[] = []): Promise<Finding[]> {
  const jsm = await jetstreamManager(nc);
  const findings: Finding[] = [];
  for await (const info of jsm.streams.list()) {
    const stream = info.config.name;
    if (skipStreams.includes(stream)) continue;
    for (let seq = 1; ; ) {
      const stored = await jsm.streams.getMessage(stream, { seq, next_by_subj: '>' } as MsgRequest);
      if (!stored) break;
      findings.push(...findingsIn(stream, stored, needles));
      seq = stored.seq + 1;
    }
  }
  return findings;
}

function findingsIn(stream: string, stored: StoredMsg, needles: readonly string[]): Finding[] {
  const header = stored.header;
  const headerText = header ? [...header.keys()].map((key) => `${key}: ${header.values(key).join(' ')}`).join('\n') : '';
  const bodies = [Buffer.from(stored.data).toString('latin1'), Buffer.from(stored.data).toString('utf8'), decoded(stored.data)];
  return needles.flatMap((needle): Finding[] => {
    const at = { needle, stream, seq: stored.seq, subject: stored.subject };
    if (stored.subject.includes(needle)) return [{ ...at, where: 'subject' }];
    if (headerText.includes(needle)) return [{ ...at, where: 'header' }];
    return bodies.some((body) => body.includes(needle)) ? [{ ...at, where: 'body' }] : [];
  });
}

function decoded(data: Uint8Array): string {
  try {
    return JSON.stringify(decode(data));
  } catch {
    try {
      return JSON.stringify(JSON.parse(Buffer.from(data).toString('utf8')));
    } catch {
      return '';
    }
  }
}
