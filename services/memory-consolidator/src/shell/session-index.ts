import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { SessionIndexEntry, type Naming } from '@signalbox/events';

const readBatch = 64;

/**
 * Every row of the sessions index, read by direct get of each key the bucket's stream lists: no
 * consumer, so the consolidator's NATS user needs none on the index. A row that does not parse is skipped.
 */
export async function sessionIndexRows(nc: NatsConnection, names: Naming): Promise<SessionIndexEntry[]> {
  const jsm = await jetstreamManager(nc);
  const stream = `KV_${names.buckets.sessions}`;
  const prefix = `$KV.${names.buckets.sessions}.`;
  const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
  const subjects = Object.keys(info.state.subjects ?? {});
  const rows: SessionIndexEntry[] = [];
  for (let start = 0; start < subjects.length; start += readBatch) {
    const read = await Promise.all(subjects.slice(start, start + readBatch).map((subject) => jsm.direct.getMessage(stream, { last_by_subj: subject })));
    for (const message of read) {
      if (!message || message.data.length === 0) continue;
      const row = SessionIndexEntry.safeParse(jsonOf(message.data));
      if (row.success) rows.push(row.data);
    }
  }
  return rows;
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
