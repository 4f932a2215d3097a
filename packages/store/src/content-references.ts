import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import type { Naming } from '@signalbox/events';

/** What stored content is shared by: long tool outputs (by session), workspace file contents (by run root). */
export type SharedContent = 'output' | 'workspace';

const sha256Pattern = /^[0-9a-f]{64}$/;

/**
 * The references bucket: one empty key `<kind>.<sha256>.<holder>` per holder of content stored once by
 * sha256. A writer refers before it stores; a deletion removes only content no holder outside it refers
 * to, and forgets its own references last. Who holds a sha256 costs one stream-info request, not a
 * scan of any log, and counts every key with a message: a delete marker published to a reference
 * (which the executor's user could) still counts, so only a purge (the deleter's right) drops one.
 */
export class ContentReferences {
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #bucket: string;

  private constructor(kv: KV, jsm: JetStreamManager, bucket: string) {
    this.#kv = kv;
    this.#jsm = jsm;
    this.#bucket = bucket;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<ContentReferences> {
    const bucket = names.buckets.references;
    return new ContentReferences(await new Kvm(nc).open(bucket), await jetstreamManager(nc), bucket);
  }

  /** Records that `holder` (a session id, or a run's root for workspace content) refers to `sha256`. */
  async refer(kind: SharedContent, sha256: string, holder: string): Promise<void> {
    await this.#kv.put(keyOf(kind, sha256, holder), '');
  }

  /** Every holder that refers to `sha256` now. */
  async holders(kind: SharedContent, sha256: string): Promise<string[]> {
    const prefix = `$KV.${this.#bucket}.${keyOf(kind, sha256, '')}`;
    const info = await this.#jsm.streams.info(`KV_${this.#bucket}`, { subjects_filter: `${prefix}*` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  /** Removes every reference `holder` has, of the given sha256s, leaving no trace of the key. */
  async forget(kind: SharedContent, sha256s: Iterable<string>, holder: string): Promise<void> {
    for (const sha256 of new Set(sha256s)) {
      await this.#jsm.streams.purge(`KV_${this.#bucket}`, { filter: `$KV.${this.#bucket}.${keyOf(kind, sha256, holder)}` });
    }
  }
}

function keyOf(kind: SharedContent, sha256: string, holder: string): string {
  if (!sha256Pattern.test(sha256)) throw new Error(`"${sha256}" is not a sha256 in hex`);
  return `${kind}.${sha256}.${holder}`;
}
