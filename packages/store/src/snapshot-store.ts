import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import { decode, encode, storedLimits, type Naming } from '@signalbox/events';
import { z } from 'zod';
import { LargeValues, MissingPartsError } from './large-values.ts';

/** A fold of a session's log up to one event, saved so a resume reads only the events after it. */
export interface Snapshot<S> {
  /** Number of the last event folded into `state`. */
  n: number;
  /** Stream sequence of that event. */
  seq: number;
  state: S;
}

export interface SnapshotStoreOptions<S = unknown> {
  /**
   * Version of the state's shape and of the fold that builds it. A snapshot written under another
   * version is ignored (the session is replayed in full), never read as this one.
   */
  stateVersion: number;
  /**
   * Fields of the state whose value is an object that stays the same for most of a session (a
   * session's agent, its tools): each such object is encoded once and its bytes reused by every
   * later snapshot, instead of re-encoded every time. Its value must never be changed in place.
   */
  encodedOnce?: readonly string[];
  /**
   * How the state is stored when not as it is held (a compacter form of some fields): `stored` before a
   * write, `restored` after a read. A `restored` that throws makes the snapshot unreadable.
   */
  codec?: { stored(state: S): unknown; restored(stored: unknown): S };
}

/**
 * Version of the envelope below; the state inside is versioned by the caller. Version 2 holds the
 * fields encoded once as msgpack bytes in `parts`; version 1 (no parts) is still read.
 */
const formatVersion = 2;
const readableVersions = new Set([1, formatVersion]);

const SnapshotEnvelope = z.object({
  v: z.number().int(),
  stateVersion: z.number().int(),
  n: z.number().int().positive(),
  seq: z.number().int().positive(),
  state: z.record(z.string(), z.unknown()),
  parts: z.record(z.string(), z.instanceof(Uint8Array)).optional(),
});

/**
 * Session snapshots in the snapshots bucket, one per session (its latest), msgpack-encoded, of any
 * size (large ones in parts). An optimisation only: the log stays the truth, so a missing, incomplete
 * or outdated snapshot means a full replay.
 */
export class SnapshotStore<S> {
  readonly #values: LargeValues;
  readonly #stateVersion: number;
  readonly #encodedOnce: readonly string[];
  readonly #codec: SnapshotStoreOptions<S>['codec'];
  /** The bytes of each object of an `encodedOnce` field, for as long as the object lives. */
  readonly #encoded = new WeakMap<object, Uint8Array>();

  private constructor(values: LargeValues, options: SnapshotStoreOptions<S>) {
    this.#values = values;
    this.#stateVersion = options.stateVersion;
    this.#encodedOnce = options.encodedOnce ?? [];
    this.#codec = options.codec;
  }

  static async open<S>(nc: NatsConnection, names: Naming, options: SnapshotStoreOptions<S>): Promise<SnapshotStore<S>> {
    return new SnapshotStore<S>(new LargeValues(await new Kvm(nc).open(names.buckets.snapshots)), options);
  }

  /**
   * The session's latest snapshot, or undefined when it has none or it was written under another
   * format or state version. Bytes that do not decode throw DecodeError: a fault worth reporting.
   */
  async read(sessionId: string): Promise<Snapshot<S> | undefined> {
    const value = await this.#values.get(sessionId).catch((error: unknown) => {
      if (error instanceof MissingPartsError) return undefined;
      throw error;
    });
    if (!value) return undefined;
    const what = `snapshot of ${sessionId}`;
    const envelope = decode(SnapshotEnvelope, value, what, storedLimits);
    if (!readableVersions.has(envelope.v) || envelope.stateVersion !== this.#stateVersion) return undefined;
    const state = { ...envelope.state };
    for (const [field, bytes] of Object.entries(envelope.parts ?? {})) state[field] = decode(z.unknown(), bytes, `${what}, field ${field}`, storedLimits);
    // The version says the state has the caller's shape; the snapshot is trusted no further than that.
    return { n: envelope.n, seq: envelope.seq, state: this.#codec ? this.#codec.restored(state) : (state as S) };
  }

  /** Removes the session's snapshot (its history too): a completed session is never resumed. */
  async remove(sessionId: string): Promise<void> {
    await this.#values.purge(sessionId);
  }

  /** The session has no snapshot (its log was empty when its first events were appended): its first write need not read one. */
  knownAbsent(sessionId: string): void {
    this.#values.knownAbsent(sessionId);
  }

  async write(sessionId: string, snapshot: Snapshot<S>): Promise<void> {
    const { n, seq } = snapshot;
    const { state, parts } = this.#split(this.#codec ? this.#codec.stored(snapshot.state) : snapshot.state);
    await this.#values.put(sessionId, encode({ v: formatVersion, stateVersion: this.#stateVersion, n, seq, state, parts }));
  }

  /** The state without its `encodedOnce` fields, and those fields' bytes (encoded now only for an object not seen before). */
  #split(whole: unknown): { state: unknown; parts: Record<string, Uint8Array> | undefined } {
    const fields = whole as Record<string, unknown>;
    if (!this.#encodedOnce.some((field) => isObject(fields[field]))) return { state: whole, parts: undefined };
    const state: Record<string, unknown> = {};
    const parts: Record<string, Uint8Array> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (!isObject(value) || !this.#encodedOnce.includes(field)) {
        state[field] = value;
        continue;
      }
      let bytes = this.#encoded.get(value);
      if (!bytes) this.#encoded.set(value, (bytes = encode(value)));
      parts[field] = bytes;
    }
    return { state, parts };
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
