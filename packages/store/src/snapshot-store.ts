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

export interface SnapshotStoreOptions {
  /**
   * Version of the state's shape and of the fold that builds it. A snapshot written under another
   * version is ignored (the session is replayed in full), never read as this one.
   */
  stateVersion: number;
}

/** Version of the envelope below; the state inside is versioned by the caller. */
const formatVersion = 1;

const SnapshotEnvelope = z.object({
  v: z.number().int(),
  stateVersion: z.number().int(),
  n: z.number().int().positive(),
  seq: z.number().int().positive(),
  state: z.unknown(),
});

/**
 * Session snapshots in the snapshots bucket, one per session (its latest), msgpack-encoded, of any
 * size (large ones in parts). An optimisation only: the log stays the truth, so a missing, incomplete
 * or outdated snapshot means a full replay.
 */
export class SnapshotStore<S> {
  readonly #values: LargeValues;
  readonly #stateVersion: number;

  private constructor(values: LargeValues, options: SnapshotStoreOptions) {
    this.#values = values;
    this.#stateVersion = options.stateVersion;
  }

  static async open<S>(nc: NatsConnection, names: Naming, options: SnapshotStoreOptions): Promise<SnapshotStore<S>> {
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
    const envelope = decode(SnapshotEnvelope, value, `snapshot of ${sessionId}`, storedLimits);
    if (envelope.v !== formatVersion || envelope.stateVersion !== this.#stateVersion) return undefined;
    // The version says the state has the caller's shape; the snapshot is trusted no further than that.
    return { n: envelope.n, seq: envelope.seq, state: envelope.state as S };
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
    const { n, seq, state } = snapshot;
    await this.#values.put(sessionId, encode({ v: formatVersion, stateVersion: this.#stateVersion, n, seq, state }));
  }
}
