import { createHash } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Naming } from '@signalbox/events';
import { z } from 'zod';
import { ContentReferences } from './content-references.ts';
import { directBatch } from './direct-batch.ts';
import { transientRetries } from './event-store.ts';

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

/** What a write records in the workspace stream: which content a path holds from then on. */
const FileWrite = z.object({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
type FileWrite = z.infer<typeof FileWrite>;

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

  /** Writes `content` at `path` in the workspace of the run rooted at `root`; resolves to the write's revision. */
  async write(root: string, path: string, content: Uint8Array): Promise<number> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    // The reference first: a deletion of another run that shares this content then keeps it.
    await (await this.#references()).refer('workspace', sha256, root);
    if (!(await this.#contents.info(sha256))) await this.#contents.putBlob({ name: sha256 }, content);
    const record: FileWrite = { path, sha256, size: content.length };
    const ack = await this.#js.publish(this.#names.subjects.workspaceFile(root, path), JSON.stringify(record), { retries: transientRetries });
    return ack.seq;
  }

  /** What `path` holds in `view`, or undefined when no layer has written it. */
  async read(view: WorkspaceView, path: string): Promise<Uint8Array | undefined> {
    for (const layer of view) {
      const [write] = await this.#lastWrites(layer, this.#names.subjects.workspaceFile(layer.root, path));
      if (!write) continue;
      const content = await this.#contents.getBlob(write.sha256);
      if (!content) throw new Error(`the content of ${path} (sha256 ${write.sha256}) is missing from the workspace object store`);
      return content;
    }
    return undefined;
  }

  /** Every file in `view` whose path starts with `prefix`, in no particular order. */
  async list(view: WorkspaceView, prefix = ''): Promise<WorkspaceEntry[]> {
    const files = new Map<string, WorkspaceEntry>();
    for (const layer of view) {
      for (const { path, size } of await this.#lastWrites(layer, this.#names.subjects.workspaceFiles(layer.root))) {
        if (path.startsWith(prefix) && !files.has(path)) files.set(path, { path, size });
      }
    }
    return [...files.values()];
  }

  /** The last write of each subject matching `subjects` in `layer`'s run, up to its revision. */
  async #lastWrites(layer: WorkspaceLayer, subjects: string): Promise<FileWrite[]> {
    const request = { multi_last: [subjects], ...(layer.upTo === undefined ? {} : { up_to_seq: layer.upTo }) };
    const stored = await directBatch(this.#jsm, this.#names.streams.workspace, request, readTimeoutMs);
    return stored.map(fileWriteOf);
  }
}

function fileWriteOf(stored: StoredMsg): FileWrite {
  const parsed = FileWrite.safeParse(stored.json());
  if (!parsed.success) throw new Error(`workspace stream message ${stored.seq} on ${stored.subject} is not a file write: ${parsed.error.message}`);
  return parsed.data;
}
