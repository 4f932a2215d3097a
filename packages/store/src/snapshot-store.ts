import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import { decode, encode, type Naming } from '@signalbox/events';
import { z } from 'zod';

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
 * Session snapshots in the snapshots bucket, one per session (its latest), msgpack-encoded. An
 * optimisation only: the log stays the truth, so a missing or outdated snapshot means a full replay.
 */
export class SnapshotStore<S> {
  readonly #kv: KV;
  readonly #stateVersion: number;

  private constructor(kv: KV, options: SnapshotStoreOptions) {
    this.#kv = kv;
    this.#stateVersion = options.stateVersion;
  }

  static async open<S>(nc: NatsConnection, names: Naming, options: SnapshotStoreOptions): Promise<SnapshotStore<S>> {
    return new SnapshotStore<S>(await new Kvm(nc).open(names.buckets.snapshots), options);
  }

  /**
   * The session's latest snapshot, or undefined when it has none or it was written under another
   * format or state version. Bytes that do not decode throw DecodeError: a fault worth reporting.
   */
  async read(sessionId: string): Promise<Snapshot<S> | undefined> {
    const entry = await this.#kv.get(sessionId);
    if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
    const envelope = decode(SnapshotEnvelope, entry.value, `snapshot of ${sessionId}`);
    if (envelope.v !== formatVersion || envelope.stateVersion !== this.#stateVersion) return undefined;
    // The version says the state has the caller's shape; the snapshot is trusted no further than that.
    return { n: envelope.n, seq: envelope.seq, state: envelope.state as S };
  }

  /** Removes the session's snapshot (its history too): a completed session is never resumed. */
  async remove(sessionId: string): Promise<void> {
    await this.#kv.purge(sessionId);
  }

  async write(sessionId: string, snapshot: Snapshot<S>): Promise<void> {
    const { n, seq, state } = snapshot;
    await this.#kv.put(sessionId, encode({ v: formatVersion, stateVersion: this.#stateVersion, n, seq, state }));
  }
}
