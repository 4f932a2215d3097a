import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type MsgRequest, type StoredMsg } from '@nats-io/jetstream';

/**
 * Every message of `stream` on `subjects`, in order, one stream-API get at a time (`next_by_subj`),
 * so it needs no consumer: a work-queue stream refuses a consumer that overlaps its workers'.
 */
export async function* storedMessages(jsm: JetStreamManager, stream: string, subjects: string): AsyncGenerator<StoredMsg> {
  for (let seq = 1; ; ) {
    const stored = await jsm.streams.getMessage(stream, { seq, next_by_subj: subjects } as MsgRequest);
    if (!stored) return;
    yield stored;
    seq = stored.seq + 1;
  }
}

/**
 * Whether a message names `sessionId` in its subject, a header or its body, as a whole token (msgpack
 * and JSON keep strings as UTF-8 bytes): what a deletion removes from streams not keyed by session.
 */
export function mentionsSession(stored: StoredMsg, sessionId: string): boolean {
  const token = new RegExp(`(?<![A-Za-z0-9_-])${sessionId}(?![A-Za-z0-9_-])`);
  const header = stored.header;
  const headerText = header ? [...header.keys()].map((key) => header.values(key).join(' ')).join(' ') : '';
  return token.test(stored.subject) || token.test(headerText) || token.test(Buffer.from(stored.data).toString('latin1'));
}

/**
 * Erases every message of a KV bucket's stream that names `sessionId` and is an earlier revision of
 * its key (the history a rewrite leaves), never a key's current value: erasing that would bring back
 * the revision before it.
 */
export async function eraseEarlierRevisions(jsm: JetStreamManager, stream: string, subjects: string, sessionId: string): Promise<void> {
  for await (const stored of storedMessages(jsm, stream, subjects)) {
    if (!mentionsSession(stored, sessionId)) continue;
    const last = await jsm.streams.getMessage(stream, { last_by_subj: stored.subject });
    if (last && last.seq !== stored.seq) await eraseMessage(jsm, stream, stored.seq);
  }
}

/** Removes the message and overwrites its bytes on disk; one already gone is no error, so a deletion can run again. */
export async function eraseMessage(jsm: JetStreamManager, stream: string, seq: number): Promise<void> {
  try {
    await jsm.streams.deleteMessage(stream, seq, true);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) return;
    throw error;
  }
}

/** Purges the messages on `subject` (wildcards allowed) from `stream`, if the stream exists. */
export async function purgeSubject(jsm: JetStreamManager, stream: string, subject: string): Promise<void> {
  try {
    await jsm.streams.purge(stream, { filter: subject });
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return;
    throw error;
  }
}
