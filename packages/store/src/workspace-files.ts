import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type MsgRequest,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Naming } from '@signalbox/events';
import { z } from 'zod';
import { ContentReferences } from './content-references.ts';
import { directBatch } from './direct-batch.ts';
import { readObject } from './object-reads.ts';
import { inFlightRefusals, inFlightRetries, readRetryMs, transientRetries } from './event-store.ts';
import { subjectCheck } from './workspace-revisions.ts';

/** A file in a workspace, named by its path relative to the workspace root. */
export interface WorkspaceEntry {
  path: string;
  size: number;
}

/**
 * One run's writes as a view sees them: all of them (`upTo` unset), or those up to a revision. A
 * fork's view is its own run's layer, then the layers of the workspace it was forked from, as of its
 * fork point: the first layer that holds a path decides what the path holds.
 */
export interface WorkspaceLayer {
  root: string;
  upTo?: number;
}
export type WorkspaceView = readonly WorkspaceLayer[];

/** A file as a view sees it: its bytes, and the revision of the write that put them there. */
export interface WorkspaceFile {
  content: Uint8Array;
  revision: number;
}

/**
 * A write that expects the path at `ifRevision` (0: no file yet). `writeId` is the same on every try
 * of one call's write, and on no other write: a try finding its earlier try's write is answered with it.
 */
export interface WriteCondition {
  ifRevision: number;
  writeId: string;
}

/** How a conditional write went: written at `revision`, or not, as the path is at `current` (0: no file). */
export type ConditionalWrite = { written: true; revision: number } | { written: false; current: number };

/** What a write records in the workspace stream: which content a path holds from then on. */
const FileWrite = z.object({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
type FileWrite = z.infer<typeof FileWrite>;

/** What a deletion records: the path holds no file from then on, whatever a fork's origin holds there. */
const FileDeletion = z.object({ path: z.string(), deleted: z.literal(true) });

/** One message of the workspace stream: a path's write or its deletion (its tombstone). */
const FileRecord = z.union([FileWrite, FileDeletion]);
type FileRecord = z.infer<typeof FileRecord>;

/** How long one batched read of a run's writes may take in all. */
const readTimeoutMs = 5_000;

/**
 * Every run's workspace, with its history. A write puts the content in the workspace object store,
 * named by its sha256 (so a fork shares its origin's files instead of copying them, and content
 * written twice is kept once), then records `path → sha256` as one message of the workspace stream,
 * on `<prefix>.workspace.<root>.<base64url path>`. The message's stream sequence is the write's
 * revision. A run's files as of revision r are the last write of each of its subjects up to r: one
 * batched direct get (`multi_last` with `up_to_seq`), whatever the size of the stream.
 */
export class WorkspaceFiles {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #contents: ObjectStore;
  readonly #names: Naming;
  /** Opened on the first write, so a reader needs no access to the references bucket. */
  readonly #references: () => Promise<ContentReferences>;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, contents: ObjectStore, names: Naming, references: () => Promise<ContentReferences>) {
    this.#js = js;
    this.#jsm = jsm;
    this.#contents = contents;
    this.#names = names;
    this.#references = references;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<WorkspaceFiles> {
    const contents = await new Objm(nc).open(names.objectStores.workspace);
    let references: Promise<ContentReferences> | undefined;
    const openReferences = () => (references ??= ContentReferences.open(nc, names));
    return new WorkspaceFiles(jetstream(nc), await jetstreamManager(nc), contents, names, openReferences);
  }

  /** Writes `content` at `path` in the workspace of the run rooted at `root`, whatever it holds; resolves to the write's revision. */
  async write(root: string, path: string, content: Uint8Array): Promise<number> {
    const record = await this.#keep(root, path, content);
    const ack = await this.#js.publish(this.#names.subjects.workspaceFile(root, path), record, { retries: transientRetries });
    return ack.seq;
  }

  /**
   * Writes `content` at `path` in the run whose view is `view` (`view[0]` its own, live layer) only if
   * the path is at `condition.ifRevision` there. The stream checks the run's subject for the path with
   * the write (`expect.lastSubjectSequence`), so of two writers expecting one revision, one wins.
   */
  async writeIf(view: WorkspaceView, path: string, content: Uint8Array, condition: WriteCondition): Promise<ConditionalWrite> {
    return this.#recordIf(view, path, condition, () => this.#keep(ownRoot(view), path, content));
  }

  /**
   * Deletes `path` in the workspace of the run rooted at `root`, whatever it holds: a tombstone, so the
   * path holds no file in this run from then on, even one a fork inherits. Resolves to its revision.
   */
  async delete(root: string, path: string): Promise<number> {
    const ack = await this.#js.publish(this.#names.subjects.workspaceFile(root, path), deletionRecord(path), { retries: transientRetries });
    return ack.seq;
  }

  /** Deletes `path` in the run whose view is `view` only if it is at `condition.ifRevision` there, as `writeIf` writes. */
  async deleteIf(view: WorkspaceView, path: string, condition: WriteCondition): Promise<ConditionalWrite> {
    return this.#recordIf(view, path, condition, () => Promise.resolve(deletionRecord(path)));
  }

  /** Publishes the record `recordOf` makes only if the path is still at `condition.ifRevision` in `view`. */
  async #recordIf(view: WorkspaceView, path: string, condition: WriteCondition, recordOf: () => Promise<string>): Promise<ConditionalWrite> {
    const root = ownRoot(view);
    const inherited = (await this.#located(view.slice(1), path))?.revision ?? 0;
    const check = subjectCheck(condition.ifRevision, inherited, await this.#ownDeletion(root, path));
    if ('conflict' in check) return { written: false, current: (await this.#ownRevision(root, path)) ?? inherited };
    const record = await recordOf();
    const subject = this.#names.subjects.workspaceFile(root, path);
    const options = { msgID: condition.writeId, expect: { lastSubjectSequence: check.expect }, retries: transientRetries };
    for (let attempt = 1; ; attempt++) {
      try {
        // A duplicate is this write's earlier try, answered with its sequence.
        return { written: true, revision: (await this.#js.publish(subject, record, options)).seq };
      } catch (error) {
        if (!(error instanceof JetStreamApiError)) throw error;
        if (error.code === JetStreamApiCodes.StreamWrongLastSequence) return this.#lostOrDone(root, path, check.expect, condition.writeId, inherited);
        // Not yet an answer (see `inFlightRefusals`): the same write, with the same check and id, again.
        if (!inFlightRefusals.has(error.code) || attempt >= inFlightRetries) throw error;
        await sleep(readRetryMs * attempt);
      }
    }
  }

  /**
   * A conditional write the stream refused: written all the same when the write after `expected` on
   * its subject is this write's earlier try (its answer lost, or its call run again: nats-server 2.15
   * checks the expected sequence before the message id, inside the dedupe window too); else another
   * writer's, and the path's current revision is returned, as the stream's leader has it.
   */
  async #lostOrDone(root: string, path: string, expected: number, writeId: string, inherited: number): Promise<ConditionalWrite> {
    const subject = this.#names.subjects.workspaceFile(root, path);
    // The stream API; nats.js types it without `next_by_subj`, which nats-server has answered since 2.9.
    const next = await this.#jsm.streams.getMessage(this.#names.streams.workspace, { seq: expected + 1, next_by_subj: subject } as MsgRequest);
    if (next?.header?.get('Nats-Msg-Id') === writeId) return { written: true, revision: next.seq };
    return { written: false, current: (await this.#ownRevision(root, path)) ?? inherited };
  }

  /** The revision of the run's own last write of `path`, from the stream's leader: 0 when it deleted the path, undefined when it has none. */
  async #ownRevision(root: string, path: string): Promise<number | undefined> {
    const last = await this.#ownLast(root, path);
    if (last === undefined) return undefined;
    return 'deleted' in fileRecordOf(last) ? 0 : last.seq;
  }

  /** The revision of the run's own deletion of `path`, when that is the last it did to the path. */
  async #ownDeletion(root: string, path: string): Promise<number | undefined> {
    const last = await this.#ownLast(root, path);
    return last !== undefined && 'deleted' in fileRecordOf(last) ? last.seq : undefined;
  }

  async #ownLast(root: string, path: string): Promise<StoredMsg | undefined> {
    return (await this.#jsm.streams.getMessage(this.#names.streams.workspace, { last_by_subj: this.#names.subjects.workspaceFile(root, path) })) ?? undefined;
  }

  /** Keeps `content` for `root` in the object store; the record a write of it publishes. */
  async #keep(root: string, path: string, content: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    // The reference first: a deletion of another run that shares this content then keeps it.
    await (await this.#references()).refer('workspace', sha256, root);
    if (!(await this.#contents.info(sha256))) await this.#contents.putBlob({ name: sha256 }, content);
    const record: FileWrite = { path, sha256, size: content.length };
    return JSON.stringify(record);
  }

  /** What `path` holds in `view`, or undefined when no layer has written it. */
  async read(view: WorkspaceView, path: string): Promise<Uint8Array | undefined> {
    return (await this.file(view, path))?.content;
  }

  /** What `path` holds in `view` and the revision that wrote it, or undefined when no layer has written it. */
  async file(view: WorkspaceView, path: string): Promise<WorkspaceFile | undefined> {
    const located = await this.#located(view, path);
    if (!located || 'deleted' in located.write) return undefined;
    const { write, revision } = located;
    const content = await readObject(this.#contents, write.sha256);
    if (!content) throw new Error(`the content of ${path} (sha256 ${write.sha256}) is missing from the workspace object store`);
    return { content, revision };
  }

  /** The record that decides what `path` holds in `view` (a write, or a deletion: no file): the last of the first layer that has one. */
  async #located(view: WorkspaceView, path: string): Promise<{ write: FileRecord; revision: number } | undefined> {
    for (const layer of view) {
      const [stored] = await this.#lastStored(layer, this.#names.subjects.workspaceFile(layer.root, path));
      if (stored) return { write: fileRecordOf(stored), revision: stored.seq };
    }
    return undefined;
  }

  /** Every file in `view` whose path starts with `prefix`, in no particular order. */
  async list(view: WorkspaceView, prefix = ''): Promise<WorkspaceEntry[]> {
    // A deletion decides its path too: it hides the file an older layer holds there.
    const decided = new Map<string, WorkspaceEntry | undefined>();
    for (const layer of view) {
      for (const record of await this.#lastRecords(layer, this.#names.subjects.workspaceFiles(layer.root))) {
        if (record.path.startsWith(prefix) && !decided.has(record.path)) decided.set(record.path, 'deleted' in record ? undefined : { path: record.path, size: record.size });
      }
    }
    return [...decided.values()].filter((entry) => entry !== undefined);
  }

  /** The last record of each subject matching `subjects` in `layer`'s run, up to its revision. */
  async #lastRecords(layer: WorkspaceLayer, subjects: string): Promise<FileRecord[]> {
    return (await this.#lastStored(layer, subjects)).map(fileRecordOf);
  }

  async #lastStored(layer: WorkspaceLayer, subjects: string): Promise<StoredMsg[]> {
    const request = { multi_last: [subjects], ...(layer.upTo === undefined ? {} : { up_to_seq: layer.upTo }) };
    return directBatch(this.#jsm, this.#names.streams.workspace, request, readTimeoutMs);
  }
}

function ownRoot(view: WorkspaceView): string {
  const own = view[0];
  if (own === undefined) throw new Error("a workspace view needs the run's own layer");
  return own.root;
}

function fileRecordOf(stored: StoredMsg): FileRecord {
  const parsed = FileRecord.safeParse(stored.json());
  if (!parsed.success) throw new Error(`workspace stream message ${stored.seq} on ${stored.subject} is neither a file write nor a deletion: ${parsed.error.message}`);
  return parsed.data;
}

function deletionRecord(path: string): string {
  return JSON.stringify({ path, deleted: true } satisfies z.infer<typeof FileDeletion>);
}
