import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager, type MsgRequest } from '@nats-io/jetstream';
import type { Naming } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';

export interface OrphanedResultsDeps {
  nc: NatsConnection;
  names: Naming;
  logger: Logger;
  /** The durable of an actor's own inbox, by its token. */
  durableOf(actor: string): string;
}

/**
 * Results sent to an actor whose own inbox durable is gone. The server deletes it once the actor
 * has stopped pulling for a while: the actor died, or (this one included) its pulls stalled that
 * long, as while a cluster elects new leaders. Messages left on that actor's inbox subjects are
 * then moved to their sessions' shared inbox, where any actor takes them. Returns how many moved.
 */
export async function adoptOrphanedResults(deps: OrphanedResultsDeps): Promise<number> {
  const { names } = deps;
  const jsm = await jetstreamManager(deps.nc);
  const info = await jsm.streams.info(names.streams.inbox, { subjects_filter: names.subjects.actorInboxes('*') });
  const subjectsByActor = new Map<string, string[]>();
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const actor = names.subjects.actorOfInbox(subject);
    if (actor === undefined) continue;
    subjectsByActor.set(actor, [...(subjectsByActor.get(actor) ?? []), subject]);
  }
  let moved = 0;
  for (const [actor, subjects] of subjectsByActor) {
    if (await consumerExists(jsm, names.streams.inbox, deps.durableOf(actor))) continue;
    for (const subject of subjects) moved += await moveToSessionInbox(deps, jsm, subject);
  }
  if (moved > 0) deps.logger.info({ moved }, 'moved results left to stopped actors to the sessions\' inboxes');
  return moved;
}

async function moveToSessionInbox(deps: OrphanedResultsDeps, jsm: JetStreamManager, subject: string): Promise<number> {
  const { names } = deps;
  const sessionId = names.subjects.sessionOfInbox(subject);
  if (!sessionId) return 0;
  const js = jetstream(deps.nc);
  let moved = 0;
  for (let seq = 1; ; moved++) {
    // The stream API, not a direct get (the inbox stream does not allow those); nats.js types it
    // without `next_by_subj`, which nats-server has answered since 2.9.
    const stored = await jsm.streams.getMessage(names.streams.inbox, { seq, next_by_subj: subject } as MsgRequest);
    if (!stored) return moved;
    // A message id of its own: the original's (`<key>/result`) may still be in the duplicate window.
    await js.publish(names.subjects.inbox(sessionId), stored.data, { msgID: `adopted/${names.streams.inbox}/${stored.seq}` });
    await deleteIfThere(jsm, names.streams.inbox, stored.seq);
    seq = stored.seq + 1;
  }
}

/** Another actor adopting at the same time may have deleted it first. */
async function deleteIfThere(jsm: JetStreamManager, stream: string, seq: number): Promise<void> {
  try {
    await jsm.streams.deleteMessage(stream, seq, false);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)) throw error;
  }
}

async function consumerExists(jsm: JetStreamManager, stream: string, durable: string): Promise<boolean> {
  try {
    await jsm.consumers.info(stream, durable);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
    throw error;
  }
}
