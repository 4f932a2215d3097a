import { createHash } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { decode, encode, storedLimits } from '@signalbox/events';
import { z } from 'zod';

/**
 * Bytes of one stored part: with its headers, a part stays well under NATS's default 1 MiB message
 * limit, which a KV value must fit in.
 */
export const partBytes = 512 * 1024;

/** msgpack never begins a value with 0xc1 ("never used" in its spec): a key holding this first holds a manifest. */
const manifestTag = 0xc1;

/** Keys whose last write or read an instance remembers (see `LargeValues.put`). */
const rememberedKeys = 10_000;

const Manifest = z.object({ parts: z.number().int().positive(), bytes: z.number().int().positive(), sha256: z.string().length(64) });
type Manifest = z.infer<typeof Manifest>;

/** What this instance last wrote or read under a key: its revision, and the manifest it holds (none: the value is under the key whole). */
interface KnownEntry {
  revision: number;
  manifest: Manifest | undefined;
}

/** A value stored in parts whose parts are not all there (a writer raced it, or they were purged): read as absent. */
export class MissingPartsError extends Error {
  override readonly name = 'MissingPartsError';
}

/**
 * Values of any size in a KV bucket. A value that fits in one part is stored under its key as it is
 * (the usual case: one direct get reads it); a larger one is stored in parts under
 * `<key>.<digest>.<i>`, written first, and its key holds a manifest naming them. Keys are written
 * whole or not at all; a manifest never names parts that were not written.
 */
export class LargeValues {
  readonly #kv: KV;
  /**
   * What this instance wrote or read last under each key (its revision, and the manifest it holds, if any),
   * so a write or purge that replaces it need not read it back to find its parts: it goes at that revision
   * instead, and reads only when another write came between. The oldest are forgotten first.
   */
  readonly #known = new Map<string, KnownEntry>();

  constructor(kv: KV) {
    this.#kv = kv;
  }

  /** The value under `key`, or undefined when there is none. Throws MissingPartsError when its parts are incomplete. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const entry = await this.#kv.get(key);
    const stored = storedOfEntry(key, entry);
    // Remembered as if written here: a write or purge after it need not read the key again (revision 0: none yet).
    this.#remember(key, entry?.revision ?? 0, stored?.manifest);
    return this.#assemble(key, stored);
  }

  /**
   * What the caller knows without reading: `key` holds nothing yet, so the first write creates it outright.
   * Should it hold a value after all, that create is refused and the write reads the key, as after a race.
   */
  knownAbsent(key: string): void {
    if (!this.#known.has(key)) this.#remember(key, 0, undefined);
  }

  async #assemble(key: string, stored: { value: Uint8Array; manifest?: Manifest } | undefined): Promise<Uint8Array | undefined> {
    if (!stored || stored.manifest === undefined) return stored?.value;
    const { manifest } = stored;
    const parts = await Promise.all(Array.from({ length: manifest.parts }, (_, index) => this.#kv.get(partKey(key, manifest, index))));
    const value = new Uint8Array(manifest.bytes);
    let offset = 0;
    for (const part of parts) {
      if (!part || part.operation !== 'PUT' || offset + part.value.length > manifest.bytes) throw new MissingPartsError(`the parts of ${key} are incomplete`);
      value.set(part.value, offset);
      offset += part.value.length;
    }
    if (offset !== manifest.bytes || sha256(value) !== manifest.sha256) throw new MissingPartsError(`the parts of ${key} do not add up to its value`);
    return value;
  }

  /** Stores `value` under `key`, then removes the parts of the value it replaces. */
  async put(key: string, value: Uint8Array): Promise<void> {
    const known = this.#known.get(key);
    if (known && (await this.#replaceKnown(key, value, known))) return;
    const replaced = (await this.#stored(key).catch(() => undefined))?.manifest;
    const staged = await this.#stage(key, value);
    this.#remember(key, await this.#kv.put(key, staged.stored), staged.manifest);
    if (replaced && replaced.sha256 !== staged.manifest?.sha256) await this.#purgeParts(key, replaced);
  }

  /** Replaces the value this instance wrote or read last, at its revision: false when another write came since (nothing of this one is left). */
  async #replaceKnown(key: string, value: Uint8Array, known: KnownEntry): Promise<boolean> {
    // Revision 0: the key held nothing when it was read, so the write creates it.
    const write = known.revision === 0 ? (stored: Uint8Array) => this.#kv.create(key, stored) : (stored: Uint8Array) => this.#kv.update(key, stored, known.revision);
    const written = await this.#checked(key, value, write);
    if (written === undefined) return false;
    if (known.manifest && known.manifest.sha256 !== written.manifest?.sha256) await this.#purgeParts(key, known.manifest);
    return true;
  }

  #remember(key: string, revision: number, manifest: Manifest | undefined): void {
    this.#known.delete(key);
    this.#known.set(key, { revision, manifest });
    if (this.#known.size > rememberedKeys) this.#known.delete(this.#known.keys().next().value as string);
  }

  /** The value under `key` with the revision to `update` it at, or undefined when there is none. */
  async getWithRevision(key: string): Promise<{ value: Uint8Array; revision: number } | undefined> {
    const entry = await this.#kv.get(key);
    const stored = storedOfEntry(key, entry);
    const value = stored && (await this.#assemble(key, stored));
    return value && entry ? { value, revision: entry.revision } : undefined;
  }

  /** Stores `value` under `key` unless the key holds a value already: false then, and nothing is left of this write. */
  async create(key: string, value: Uint8Array): Promise<boolean> {
    return (await this.#checked(key, value, (stored) => this.#kv.create(key, stored))) !== undefined;
  }

  /** Stores `value` under `key` only if the key is still at `revision`: false when another write came first. */
  async update(key: string, value: Uint8Array, revision: number): Promise<boolean> {
    const replaced = (await this.#stored(key).catch(() => undefined))?.manifest;
    const updated = await this.#checked(key, value, (stored) => this.#kv.update(key, stored, revision));
    if (updated && replaced && replaced.sha256 !== sha256(value)) await this.#purgeParts(key, replaced);
    return updated !== undefined;
  }

  /**
   * Writes a value's parts, then its key through `write`: what the key now holds, or undefined when the
   * write was refused (its parts removed, unless the key's value has them too).
   */
  async #checked(key: string, value: Uint8Array, write: (stored: Uint8Array) => Promise<number>): Promise<KnownEntry | undefined> {
    const staged = await this.#stage(key, value);
    try {
      const revision = await write(staged.stored);
      this.#remember(key, revision, staged.manifest);
      return { revision, manifest: staged.manifest };
    } catch (error) {
      if (!isLostRace(error)) throw error;
      this.#known.delete(key);
      const current = (await this.#stored(key).catch(() => undefined))?.manifest;
      if (staged.manifest && current?.sha256 !== staged.manifest.sha256) await this.#purgeParts(key, staged.manifest);
      return undefined;
    }
  }

  /** Writes the parts of a value too large for one message, and answers what its key is to hold: the value, or a manifest naming them. */
  async #stage(key: string, value: Uint8Array): Promise<{ stored: Uint8Array; manifest?: Manifest }> {
    if (value.length <= partBytes && value[0] !== manifestTag) return { stored: value };
    const manifest: Manifest = { parts: Math.ceil(value.length / partBytes), bytes: value.length, sha256: sha256(value) };
    await Promise.all(
      Array.from({ length: manifest.parts }, (_, index) => this.#kv.put(partKey(key, manifest, index), value.subarray(index * partBytes, (index + 1) * partBytes))),
    );
    const encoded = encode(manifest);
    const stored = new Uint8Array(encoded.length + 1);
    stored[0] = manifestTag;
    stored.set(encoded, 1);
    return { stored, manifest };
  }

  /** Removes `key` and any parts its value was stored in. */
  async purge(key: string): Promise<void> {
    const known = this.#known.get(key);
    this.#known.delete(key);
    if (known && known.revision > 0 && (await this.#purgeKnown(key, known))) return;
    const manifest = (await this.#stored(key).catch(() => undefined))?.manifest;
    await this.#kv.purge(key);
    if (manifest) await this.#purgeParts(key, manifest);
  }

  /** Purges what this instance wrote or read last, at its revision: false when another write came since. */
  async #purgeKnown(key: string, known: KnownEntry): Promise<boolean> {
    try {
      await this.#kv.purge(key, { previousSeq: known.revision });
    } catch (error) {
      if (isLostRace(error)) return false;
      throw error;
    }
    if (known.manifest) await this.#purgeParts(key, known.manifest);
    return true;
  }

  async #stored(key: string): Promise<{ value: Uint8Array; manifest?: Manifest } | undefined> {
    return storedOfEntry(key, await this.#kv.get(key));
  }

  async #purgeParts(key: string, manifest: Manifest): Promise<void> {
    await Promise.all(Array.from({ length: manifest.parts }, (_, index) => this.#kv.purge(partKey(key, manifest, index))));
  }
}

/** What a key's entry holds: nothing for no entry, a deletion or an empty value. */
function storedOfEntry(key: string, entry: KvEntry | null): { value: Uint8Array; manifest?: Manifest } | undefined {
  if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
  return storedOf(key, entry.value);
}

function storedOf(key: string, value: Uint8Array): { value: Uint8Array; manifest?: Manifest } {
  if (value[0] !== manifestTag) return { value };
  return { value, manifest: decode(Manifest, value.subarray(1), `the manifest of ${key}`, storedLimits) };
}

/**
 * A write its revision check refused: 10071 names the subject's last sequence, 10164 does not (a
 * replicated stream can answer so while another write to the key is still being committed).
 */
export function isLostRace(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === 10164);
}

/** Named by the value's digest, so parts of two writes of a key never mix. */
function partKey(key: string, manifest: Manifest, index: number): string {
  return `${key}.${manifest.sha256.slice(0, 16)}.${index}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
