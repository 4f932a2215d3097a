import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  DreamRun,
  MemoryAuthor,
  MemoryChange,
  MemoryDraft,
  MemoryEntryId,
  maxMemoryEntries,
  MemoryOrigin,
  MemoryStoreDefinition,
  validate,
  type MemoryEntry,
  type MemoryVersion,
  type Naming,
} from '@signalbox/events';
import { z } from 'zod';
import { LargeValues } from './large-values.ts';
import { applyChanges, authorOf, rebaseVersion } from './memory-changes.ts';
import { MemoryStoreError } from './memory-errors.ts';
import { withoutSession } from './memory-evidence.ts';
import { MemoryLedger } from './memory-ledger.ts';
import { decodeRecord, encodeRecord, memoryKeys, ReadRecord, storeToken } from './memory-records.ts';

/** A session's `memory.write`: the entry's id (from the call), what it says, and the call that wrote it. */
export interface MemoryWrite {
  id: string;
  draft: MemoryDraft;
  author: Extract<MemoryAuthor, { kind: 'session' }>;
}

/** What a write came to: the entry, the version holding it, and whether an earlier try had written it already. */
export interface MemoryWritten {
  entry: MemoryEntry;
  version: number;
  existed: boolean;
}

const versionsPerRead = 32;
/** Who promotes, rejects or rolls back, as a version records it. */
const Actor = z.string().min(1).max(200);
const Changes = z.array(MemoryChange).max(maxMemoryEntries);
const SessionAuthor = MemoryAuthor.options[0];

/**
 * Memory stores in the `sbx-memory` bucket: each store's definition, its versions (each whole, with
 * the changes that made it), the head (the promoted version agents load), the sessions its
 * consolidations have read, and what each dream job did. Nothing is erased: a rollback is a new
 * version, and a version is changed only to promote or reject it, or to strip a deleted session's
 * evidence.
 */
export class MemoryStore {
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #bucket: string;
  readonly #ledger: MemoryLedger;
  readonly #values: LargeValues;

  private constructor(kv: KV, jsm: JetStreamManager, bucket: string) {
    this.#kv = kv;
    this.#jsm = jsm;
    this.#bucket = bucket;
    this.#ledger = new MemoryLedger(kv);
    this.#values = new LargeValues(kv);
  }

  static async open(nc: NatsConnection, names: Naming): Promise<MemoryStore> {
    return new MemoryStore(await new Kvm(nc).open(names.buckets.memory), await jetstreamManager(nc), names.buckets.memory);
  }

  /** Stores a store's definition (`memory apply -f`), replacing the one it had; its versions stay. */
  async define(definition: MemoryStoreDefinition): Promise<void> {
    const parsed = validate(MemoryStoreDefinition, definition, 'a memory store definition');
    await this.#kv.put(memoryKeys.definition(parsed.name), encodeRecord(parsed));
  }

  async definition(store: string): Promise<MemoryStoreDefinition | undefined> {
    const key = memoryKeys.definition(store);
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decodeRecord(MemoryStoreDefinition, entry.value, `the definition of memory store ${store}`, key);
  }

  /** Every defined store, by name. */
  async definitions(): Promise<MemoryStoreDefinition[]> {
    const names = (await this.#storeNames(memoryKeys.allDefinitions)).sort();
    const definitions = await Promise.all(names.map((name) => this.definition(name)));
    return definitions.filter((definition) => definition !== undefined);
  }

  /** The promoted version in use; undefined while the store has none (it is empty). */
  async head(store: string): Promise<MemoryVersion | undefined> {
    return this.#ledger.headVersion(store, await this.#ledger.peekHead(storeToken(store)));
  }

  async version(store: string, version: number): Promise<MemoryVersion | undefined> {
    return this.#ledger.version(storeToken(store), version);
  }

  /** Every version, oldest first. */
  async versions(store: string): Promise<MemoryVersion[]> {
    const { last } = await this.#ledger.peekHead(storeToken(store));
    const versions: MemoryVersion[] = [];
    // A batch at a time: a store of many versions is not read all at once.
    for (let first = 1; first <= last; first += versionsPerRead) {
      const batch = await Promise.all(Array.from({ length: Math.min(versionsPerRead, last - first + 1) }, (_, index) => this.#ledger.version(store, first + index)));
      versions.push(...batch.filter((version) => version !== undefined));
    }
    return versions;
  }

  /** A run's memory.write: a new promoted version, the head and one add; an entry whose id the head holds already is not written again (a redone call). */
  async write(store: string, write: MemoryWrite, now: number): Promise<MemoryWritten> {
    await this.#requireDefined(store);
    const id = validate(MemoryEntryId, write.id, 'a memory entry id');
    const draft = validate(MemoryDraft, write.draft, 'a memory draft');
    const author = validate(SessionAuthor, write.author, 'the author of a memory write');
    const changes: MemoryChange[] = [{ kind: 'add', id, draft }];
    let holder: MemoryVersion | undefined;
    const created = await this.#ledger.create(store, (n, parent) => {
      holder = parent?.entries.some((entry) => entry.id === id) ? parent : undefined;
      if (holder) return undefined;
      const entries = applyChanges(parent?.entries ?? [], changes, n, author);
      const origin = { kind: 'write' as const, sessionId: author.sessionId, event: author.event };
      return { store, version: n, parent: parent?.version ?? 0, state: 'promoted', origin, changes, entries, createdAt: now, promoted: { by: `session:${author.sessionId}`, at: now } };
    });
    const version = created ?? holder;
    const entry = version?.entries.find((candidate) => candidate.id === id);
    if (!version || !entry) throw new Error(`memory store ${store}: the write of ${id} is in neither the new version nor the head`);
    return { entry, version: version.version, existed: created === undefined };
  }

  /** A new proposed version: the head with `changes` applied. */
  async propose(store: string, changes: MemoryChange[], origin: MemoryOrigin, now: number): Promise<MemoryVersion> {
    await this.#requireDefined(store);
    const parsedChanges = validate(Changes, changes, 'proposed memory changes');
    const parsedOrigin = validate(MemoryOrigin, origin, 'the origin of a memory version');
    const proposed = await this.#ledger.create(store, (n, parent) => {
      const entries = applyChanges(parent?.entries ?? [], parsedChanges, n, authorOf(parsedOrigin, n));
      return { store, version: n, parent: parent?.version ?? 0, state: 'proposed', origin: parsedOrigin, changes: parsedChanges, entries, createdAt: now };
    });
    if (!proposed) throw new Error(`memory store ${store}: a proposal made no version`);
    return proposed;
  }

  /**
   * Makes a proposed version the head, recorded with who did it; if the head moved since it was
   * proposed, its changes are applied again onto the head. `heldToo: false` (automatic promotion)
   * refuses a version holding a held change.
   */
  async promote(store: string, version: number, by: string, now: number, options: { heldToo?: boolean } = {}): Promise<MemoryVersion> {
    const actor = validate(Actor, by, 'who promotes');
    return this.#ledger.decide(storeToken(store), { kind: 'promote', version, by: actor, at: now }, (proposed, head) => {
      refuseDecided(proposed);
      const held = proposed.changes.filter((change) => change.held !== undefined);
      if (options.heldToo === false && held.length > 0) {
        throw new MemoryStoreError('held_changes', `version ${version} of memory store ${store} holds ${held.length} change(s) only a person may promote: ${held.map(({ held: why }) => why).join('; ')}`);
      }
      if (rebaseVersion(proposed, head).entries.length > maxMemoryEntries) throw new MemoryStoreError('store_full', `promoting version ${version} would leave memory store ${store} with more than ${maxMemoryEntries} entries`);
    });
  }

  async reject(store: string, version: number, by: string, now: number): Promise<MemoryVersion> {
    return this.#ledger.decide(storeToken(store), { kind: 'reject', version, by: validate(Actor, by, 'who rejects'), at: now }, refuseDecided);
  }

  /** A new version holding version `to`'s entries (0: none), promoted at once: a rollback erases nothing. */
  async rollback(store: string, to: number, by: string, now: number): Promise<MemoryVersion> {
    const target = to === 0 ? undefined : await this.version(store, to);
    if (to !== 0 && !target) throw new MemoryStoreError('unknown_version', `memory store ${store} has no version ${to} to roll back to`);
    if (target && target.state !== 'promoted') throw new MemoryStoreError('not_promoted', `version ${to} of memory store ${store} was ${target.state === 'proposed' ? 'never promoted: promote it instead' : 'rejected'}`);
    const origin = { kind: 'rollback' as const, to, by: validate(Actor, by, 'who rolls back') };
    const rolledBack = await this.#ledger.create(store, (n, parent) => ({
      store, version: n, parent: parent?.version ?? 0, state: 'promoted', origin, changes: [], entries: target?.entries ?? [], createdAt: now, promoted: { by: origin.by, at: now },
    }));
    if (!rolledBack) throw new Error(`memory store ${store}: a rollback made no version`);
    return rolledBack;
  }

  /** Sessions consolidations of the store have read, so the next reads others. */
  async readSessions(store: string): Promise<Set<string>> {
    return new Set((await this.#readRecord(store))?.record.sessions);
  }

  async markRead(store: string, sessionIds: readonly string[]): Promise<void> {
    await this.#changeReadRecord(store, (sessions) => new Set([...sessions, ...sessionIds]));
  }

  /** Records what a dream job did, for `signalbox dream` to wait on. */
  async recordRun(store: string, run: DreamRun): Promise<void> {
    const parsed = validate(DreamRun, run, 'a dream run');
    if (parsed.store !== store) throw new Error(`a dream run of memory store ${parsed.store} recorded under ${store}`);
    await this.#kv.put(memoryKeys.run(store, parsed.jobId), encodeRecord(parsed));
  }

  async run(store: string, jobId: string): Promise<DreamRun | undefined> {
    const key = memoryKeys.run(store, jobId);
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decodeRecord(DreamRun, entry.value, `the record of dream job ${jobId}`, key);
  }

  /**
   * Forgets a deleted session in every store (the `memory` deletion hook runs it, then erases the
   * earlier revisions the rewrites leave): its evidence leaves every version, entries that cited it or
   * that it wrote are flagged, an alias stands for its id (see `withoutSession`), and it leaves the
   * sessions read. Done again it changes nothing. Versions are read until a pass changes none, since a
   * write racing a pass can carry an entry forward from a version not yet rewritten.
   */
  async forgetSession(sessionId: string): Promise<void> {
    for (const store of await this.#storeNames(memoryKeys.allHeads)) {
      for (let pass = 0; pass < 3 && (await this.#ledger.rewriteVersions(store, (version) => withoutSession(version, sessionId))) > 0; pass += 1);
      await this.#changeReadRecord(store, (sessions) => new Set([...sessions].filter((id) => id !== sessionId)));
    }
  }

  async #requireDefined(store: string): Promise<void> {
    if (!(await this.definition(store))) throw new MemoryStoreError('unknown_store', `no memory store ${store}: define it with \`signalbox memory apply -f <file>\``);
  }

  /**
   * The stores that have a key matching `filter` (`*.definition`, `*.head`), from the bucket's stream
   * info rather than `keys()`, whose consumer a user without consumer rights (the retention sweeper)
   * may not make, and which can wait out an idle heartbeat while keys change.
   */
  async #storeNames(filter: string): Promise<string[]> {
    const prefix = `$KV.${this.#bucket}.`;
    const info = await this.#jsm.streams.info(`KV_${this.#bucket}`, { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length, subject.indexOf('.', prefix.length)));
  }

  async #readRecord(store: string): Promise<{ record: z.infer<typeof ReadRecord>; revision: number } | undefined> {
    const key = memoryKeys.read(store);
    const stored = await this.#values.getWithRevision(key);
    return stored && { record: decodeRecord(ReadRecord, stored.value, `the sessions memory store ${store} has read`, key), revision: stored.revision };
  }

  async #changeReadRecord(store: string, change: (sessions: ReadonlySet<string>) => Set<string>): Promise<void> {
    const key = memoryKeys.read(store);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const stored = await this.#readRecord(store);
      const before = new Set(stored?.record.sessions);
      const after = change(before);
      if (after.size === before.size && [...after].every((id) => before.has(id))) return;
      const value = encodeRecord({ sessions: [...after] });
      if (await (stored ? this.#values.update(key, value, stored.revision) : this.#values.create(key, value))) return;
    }
    throw new MemoryStoreError('contended', `the sessions memory store ${store} has read changed under every try`);
  }
}

function refuseDecided(version: MemoryVersion): void {
  if (version.state === 'proposed') return;
  const decision = version.state === 'promoted' ? version.promoted : version.rejected;
  const who = decision ? ` by ${decision.by} at ${new Date(decision.at).toISOString()}` : '';
  throw new MemoryStoreError('version_decided', `version ${version.version} of memory store ${version.store} is ${version.state} already${who}`);
}
