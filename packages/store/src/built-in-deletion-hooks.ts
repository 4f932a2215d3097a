import { hash } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { deadLetterObjectHeader, type Naming } from '@signalbox/events';
import { z } from 'zod';
import { ContentReferences, type SharedContent } from './content-references.ts';
import { unreferencedContent } from './deletion-plan.ts';
import type { DeletionHook, DeletionTarget } from './deletion-hooks.ts';
import { MemoryStore } from './memory-store.ts';
import { eraseEarlierRevisions, eraseMessage, mentionsSession, purgeSubject, storedMessages } from './stream-scan.ts';

/** The key of a tool call's entry in the tool ledger: the sha256 of its idempotency key (any text), one subject token. */
export function toolLedgerKey(idempotencyKey: string): string {
  return hash('sha256', idempotencyKey, 'hex');
}

/**
 * The hooks of the stores Signalbox itself keeps, in the order they run. The sessions index and the
 * log are not among them: a deletion removes those last, once every hook has succeeded.
 */
export async function builtInDeletionHooks(nc: NatsConnection, names: Naming): Promise<DeletionHook[]> {
  const jsm = await jetstreamManager(nc);
  const references = await ContentReferences.open(nc, names);
  const memory = await MemoryStore.open(nc, names);
  const kv = (bucket: string) => `KV_${bucket}`;
  const byKey = (bucket: string, sessionId: string) => [`$KV.${bucket}.${sessionId}`, `$KV.${bucket}.${sessionId}.>`];
  const purgeAll = async (stream: string, subjects: readonly string[]) => {
    for (const subject of subjects) await purgeSubject(jsm, stream, subject);
  };
  return [
    { name: 'tool-ledger', deleteSession: (target) => purgeAll(kv(names.buckets.toolLedger), idempotencyKeysOf(target).map((key) => `$KV.${names.buckets.toolLedger}.${toolLedgerKey(key)}`)) },
    { name: 'tool-outputs', deleteSession: (target) => deleteShared(jsm, references, names.objectStores.toolOutputs, 'output', target.sessionId, outputsOf(target), target.deleting) },
    { name: 'workspace', deleteSession: (target) => deleteWorkspace(jsm, references, names, target) },
    { name: 'snapshots', deleteSession: ({ sessionId }) => purgeAll(kv(names.buckets.snapshots), byKey(names.buckets.snapshots, sessionId)) },
    { name: 'transcripts', deleteSession: ({ sessionId }) => purgeAll(kv(names.buckets.transcripts), byKey(names.buckets.transcripts, sessionId)) },
    { name: 'inbox', deleteSession: ({ sessionId }) => purgeAll(names.streams.inbox, [names.subjects.inbox(sessionId), `${names.subjects.inbox(sessionId)}.>`]) },
    { name: 'timers', deleteSession: ({ sessionId }) => eraseMentions(jsm, names.streams.timers, names.subjects.allTimers, sessionId) },
    { name: 'jobs', deleteSession: ({ sessionId }) => eraseMentions(jsm, names.streams.jobs, names.subjects.allJobs, sessionId) },
    { name: 'dead-letters', deleteSession: ({ sessionId }) => eraseDeadLetters(jsm, names, sessionId) },
    { name: 'memory', deleteSession: ({ sessionId }) => forgetInMemory(jsm, memory, names, sessionId) },
    { name: 'event-partitions', deleteSession: ({ sessionId }) => purgeSubject(jsm, names.streams.eventPartitions, `${names.prefix}.partitioned.*.${sessionId}`) },
  ];
}

function idempotencyKeysOf({ events }: DeletionTarget): string[] {
  return events.flatMap((event) => (event.type === 'tool.requested' ? [event.data.idempotencyKey] : []));
}

function outputsOf({ events }: DeletionTarget): string[] {
  return events.flatMap((event) => (event.type === 'tool.completed' && event.data.wholeOutput ? [event.data.wholeOutput.sha256] : []));
}

/**
 * Removes the content nobody outside this deletion refers to, then forgets `holder`'s references: cut
 * off midway and run again, it still finds its own references, so it removes what it had not yet.
 */
async function deleteShared(jsm: JetStreamManager, references: ContentReferences, store: string, kind: SharedContent, holder: string, shas: readonly string[], deleting: ReadonlySet<string>): Promise<void> {
  const holders = new Map(await Promise.all(shas.map(async (sha) => [sha, await references.holders(kind, sha)] as const)));
  for (const sha of unreferencedContent(shas, holders, holder, deleting)) await removeObject(jsm, store, sha);
  await references.forget(kind, shas, holder);
}

/** Removes an object's chunks and its metadata entirely, leaving no delete marker that names it. */
async function removeObject(jsm: JetStreamManager, store: string, name: string): Promise<void> {
  const stream = `OBJ_${store}`;
  // The object store names an object's metadata subject by its name in padded base64url.
  const meta = `$O.${store}.M.${Buffer.from(name).toString('base64').replaceAll('+', '-').replaceAll('/', '_')}`;
  const stored = await jsm.streams.getMessage(stream, { last_by_subj: meta }).catch(() => null);
  const nuid = stored ? ObjectMeta.safeParse(stored.json()).data?.nuid : undefined;
  if (nuid) await purgeSubject(jsm, stream, `$O.${store}.C.${nuid}`);
  await purgeSubject(jsm, stream, meta);
}

const ObjectMeta = z.object({ nuid: z.string().regex(/^[A-Za-z0-9]+$/) });
const FileWrite = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** A run's workspace goes with its root: every write's record, and the contents no other run refers to. */
async function deleteWorkspace(jsm: JetStreamManager, references: ContentReferences, names: Naming, target: DeletionTarget): Promise<void> {
  if (!target.deletesWorkspace) return;
  const shas: string[] = [];
  for await (const stored of storedMessages(jsm, names.streams.workspace, names.subjects.workspaceFiles(target.root))) {
    const write = FileWrite.safeParse(stored.json());
    if (write.success) shas.push(write.data.sha256);
  }
  await deleteShared(jsm, references, names.objectStores.workspace, 'workspace', target.root, [...new Set(shas)], target.deleting);
  await purgeSubject(jsm, names.streams.workspace, names.subjects.workspaceFiles(target.root));
}

/** Erases every message of a stream not keyed by session (timers, jobs) that names the session. */
async function eraseMentions(jsm: JetStreamManager, stream: string, subjects: string, sessionId: string): Promise<void> {
  for await (const stored of storedMessages(jsm, stream, subjects)) {
    if (mentionsSession(stored, sessionId)) await eraseMessage(jsm, stream, stored.seq);
  }
}

/** The session leaves every memory store (see `MemoryStore.forgetSession`), then the revisions its rewrites left behind. */
async function forgetInMemory(jsm: JetStreamManager, memory: MemoryStore, names: Naming, sessionId: string): Promise<void> {
  await memory.forgetSession(sessionId);
  await eraseEarlierRevisions(jsm, `KV_${names.buckets.memory}`, `$KV.${names.buckets.memory}.>`, sessionId);
}

/** Dead letters that name the session, and the bodies too large to copy that some of them keep in their object store. */
async function eraseDeadLetters(jsm: JetStreamManager, names: Naming, sessionId: string): Promise<void> {
  for await (const stored of storedMessages(jsm, names.streams.dlq, names.subjects.allDlq)) {
    if (!mentionsSession(stored, sessionId)) continue;
    const body = stored.header?.get(deadLetterObjectHeader);
    if (body) await removeObject(jsm, names.objectStores.deadLetters, body);
    await eraseMessage(jsm, names.streams.dlq, stored.seq);
  }
}
