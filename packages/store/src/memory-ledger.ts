import { setTimeout as sleep } from 'node:timers/promises';
import type { KV } from '@nats-io/kv';
import { DecodeError, maxMemoryEntries, MemoryVersion, validate } from '@signalbox/events';
import { isLostRace, LargeValues, MissingPartsError } from './large-values.ts';
import { rebaseVersion } from './memory-changes.ts';
import { MemoryStoreError } from './memory-errors.ts';
import { decodeRecord, emptyHeadRecord, encodeRecord, HeadRecord, memoryKeys } from './memory-records.ts';

/** Tries of one change before giving up: each lost try means another change landed, so this bounds waiting, not work. */
const maxTries = 200;

type Pending = NonNullable<HeadRecord['pending']>;
interface Head {
  record: HeadRecord;
  /** The head key's revision, 0 when it was never written. */
  revision: number;
}
interface StoredVersion {
  version: MemoryVersion;
  revision: number;
}

/**
 * A store's versions and its head in the memory bucket, changed one at a time without a lock. Every
 * change moves the head key by its revision (compare-and-set); a new version's key is created first
 * (so no number is given twice), then the head names it. A promotion or rejection is written into the
 * head first (`pending`) and then carried out, by its writer or by whoever finds it next, so a writer
 * cut off midway leaves nothing half done for long.
 */
export class MemoryLedger {
  readonly #kv: KV;
  readonly #values: LargeValues;

  constructor(kv: KV) {
    this.#kv = kv;
    this.#values = new LargeValues(kv);
  }

  /** The head with nothing pending: a pending change found is finished first. */
  async head(store: string): Promise<Head> {
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      const head = await this.#readHead(store);
      if (!head.record.pending) return head;
      await this.#finish(store, head, head.record.pending);
    }
    throw contended(store);
  }

  /** The head as stored, a pending change and all: for readers, who change nothing. */
  async peekHead(store: string): Promise<HeadRecord> {
    return (await this.#readHead(store)).record;
  }

  async version(store: string, version: number): Promise<MemoryVersion | undefined> {
    return (await this.#readVersion(store, version))?.version;
  }

  /** The version a head record names, undefined for the empty store. */
  async headVersion(store: string, record: HeadRecord): Promise<MemoryVersion | undefined> {
    return record.head === 0 ? undefined : this.#required(store, record.head);
  }

  /**
   * Adds the version `build` makes from the head (numbered `n`, the next number), and moves the head to
   * it if it is promoted; `build` answers undefined when there is nothing to add. Lost races are tried
   * again from the new head; a version this call created stays its own and is made again from the new
   * head (see `#adopt`).
   */
  async create(store: string, build: (n: number, parent: MemoryVersion | undefined) => MemoryVersion | undefined): Promise<MemoryVersion | undefined> {
    let mine: number | undefined;
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      const head = await this.head(store);
      if (mine !== undefined) {
        if (head.record.last >= mine || (await this.#adopt(store, head, mine))) return this.#ownVersion(store, mine);
      } else {
        const built = build(head.record.last + 1, await this.headVersion(store, head.record));
        if (!built) return undefined;
        refuseOversize(built);
        // Checked before it is stored: a value the store cannot read back would stop every later change.
        const version = validate(MemoryVersion, built, `version ${built.version} of memory store ${store}`);
        if (await this.#values.create(memoryKeys.version(store, version.version), encodeRecord(version))) {
          mine = version.version;
          if (await this.#casHead(store, head.revision, headAfter(head.record, version))) return version;
        } else await this.#adopt(store, head, version.version);
      }
      await backOff(attempt);
    }
    throw contended(store);
  }

  /**
   * Promotes or rejects `version` once `check` accepts it as the head stands (it throws to refuse):
   * written into the head as pending, then carried out. Answers the version as it is then.
   */
  async decide(store: string, pending: Pending, check: (version: MemoryVersion, head: MemoryVersion | undefined) => void): Promise<MemoryVersion> {
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      const head = await this.head(store);
      check(await this.#required(store, pending.version), await this.headVersion(store, head.record));
      if (await this.#casHead(store, head.revision, { ...head.record, pending })) {
        await this.head(store);
        return this.#required(store, pending.version);
      }
      await backOff(attempt);
    }
    throw contended(store);
  }

  /** Rewrites every stored version `change` changes (it answers undefined for one it leaves), each checked against its revision. */
  async rewriteVersions(store: string, change: (version: MemoryVersion) => MemoryVersion | undefined): Promise<number> {
    const { last } = await this.peekHead(store);
    let rewritten = 0;
    for (let n = 1; n <= last; n += 1) {
      for (let attempt = 0; ; attempt += 1) {
        const stored = await this.#readVersion(store, n);
        const changed = stored && change(stored.version);
        if (!stored || !changed) break;
        if (await this.#values.update(memoryKeys.version(store, n), encodeRecord(changed), stored.revision)) {
          rewritten += 1;
          break;
        }
        if (attempt >= maxTries) throw contended(store);
        await backOff(attempt);
      }
    }
    return rewritten;
  }

  /** Carries out a pending promotion (its changes made again from the head, if it moved) or rejection, then clears it. */
  async #finish(store: string, head: Head, pending: Pending): Promise<void> {
    const stored = await this.#readVersion(store, pending.version);
    const cleared = { head: head.record.head, last: head.record.last };
    if (!stored) return void (await this.#casHead(store, head.revision, cleared));
    const decided = pending.kind === 'promote' ? 'promoted' : 'rejected';
    if (stored.version.state !== decided) {
      const parent = pending.kind === 'promote' ? await this.headVersion(store, head.record) : undefined;
      const finished = pending.kind === 'promote' ? { ...rebaseVersion(stored.version, parent), state: decided, promoted: { by: pending.by, at: pending.at } } : { ...stored.version, state: decided, rejected: { by: pending.by, at: pending.at } };
      if (!(await this.#values.update(memoryKeys.version(store, pending.version), encodeRecord(finished), stored.revision))) return;
    }
    await this.#casHead(store, head.revision, pending.kind === 'promote' ? { ...cleared, head: pending.version } : cleared);
  }

  /**
   * Makes the head name version `n`, which is stored but which the head does not count yet: its writer
   * lost a race or was cut off. A promoted one whose parent is no longer the head is made again from
   * the head first, but only if the head is still the one read after reading the version: a version
   * made again from an older head could otherwise overwrite one another finisher had made the head.
   */
  async #adopt(store: string, head: Head, n: number): Promise<boolean> {
    const stored = await this.#readVersion(store, n);
    if (!stored) return false;
    let { version } = stored;
    if (version.state === 'promoted' && version.parent !== head.record.head) {
      if ((await this.#readHead(store)).revision !== head.revision) return false;
      version = rebaseVersion(version, await this.headVersion(store, head.record));
      // Made again, it no longer fits: it lands refused rather than leave the number unused.
      if (version.entries.length > maxMemoryEntries) version = { ...stored.version, state: 'rejected', rejected: { by: 'memory-store: over the entry limit', at: version.createdAt } };
      if (!(await this.#values.update(memoryKeys.version(store, n), encodeRecord(version), stored.revision))) return false;
    }
    return this.#casHead(store, head.revision, headAfter(head.record, version));
  }

  async #ownVersion(store: string, n: number): Promise<MemoryVersion> {
    const version = await this.#required(store, n);
    if (version.state === 'rejected') throw new MemoryStoreError('store_full', fullMessage(store, n));
    return version;
  }

  async #readHead(store: string): Promise<Head> {
    const key = memoryKeys.head(store);
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return { record: emptyHeadRecord, revision: entry?.revision ?? 0 };
    return { record: decodeRecord(HeadRecord, entry.value, `the head of memory store ${store}`, key), revision: entry.revision };
  }

  /** Moves the head from `revision` to `record`; false when another change moved it first. */
  async #casHead(store: string, revision: number, record: HeadRecord): Promise<boolean> {
    const key = memoryKeys.head(store);
    const value = encodeRecord(validate(HeadRecord, record, `the head of memory store ${store}`));
    try {
      await (revision === 0 ? this.#kv.create(key, value) : this.#kv.update(key, value, revision));
      return true;
    } catch (error) {
      if (isLostRace(error)) return false;
      throw error;
    }
  }

  async #required(store: string, n: number): Promise<MemoryVersion> {
    const version = await this.version(store, n);
    if (!version) throw new MemoryStoreError('unknown_version', `memory store ${store} has no version ${n}`);
    return version;
  }

  /** A version as stored; a read that raced a rewrite (its parts replaced meanwhile) is read again. */
  async #readVersion(store: string, n: number): Promise<StoredVersion | undefined> {
    if (!Number.isSafeInteger(n) || n < 1) return undefined;
    const key = memoryKeys.version(store, n);
    const what = `version ${n} of memory store ${store}`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const stored = await this.#values.getWithRevision(key);
        if (!stored) return undefined;
        const version = decodeRecord(MemoryVersion, stored.value, what, key);
        if (version.store !== store || version.version !== n) throw new DecodeError(`${what} (key ${key})`, new Error(`it says it is version ${version.version} of ${version.store}`));
        return { version, revision: stored.revision };
      } catch (error) {
        if (!(error instanceof MissingPartsError) || attempt >= 3) throw error;
      }
    }
  }
}

function headAfter(record: HeadRecord, version: MemoryVersion): HeadRecord {
  return { head: version.state === 'promoted' ? version.version : record.head, last: Math.max(record.last, version.version) };
}

function refuseOversize(version: MemoryVersion): void {
  if (version.entries.length > maxMemoryEntries) throw new MemoryStoreError('store_full', fullMessage(version.store, version.version));
}

function fullMessage(store: string, n: number): string {
  return `memory store ${store} would hold more than ${maxMemoryEntries} entries with version ${n}: retire or merge some first`;
}

function contended(store: string): MemoryStoreError {
  return new MemoryStoreError('contended', `memory store ${store} changed under every one of ${maxTries} tries; try again`);
}

/** A short random wait, longer with each try, so racing writers spread out. */
async function backOff(attempt: number): Promise<void> {
  await sleep(Math.random() * Math.min(50, 2 ** attempt));
}
