import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import type { Naming } from '@signalbox/events';
import { EvalRecord } from '../core/record.ts';

/** Runs of evals in the evals bucket, by id: written as a run goes, read back validated. */
export class EvalRecords {
  readonly #bucket: KV;

  private constructor(bucket: KV) {
    this.#bucket = bucket;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<EvalRecords> {
    try {
      return new EvalRecords(await new Kvm(nc).open(names.buckets.evals));
    } catch (error) {
      throw new Error(`cannot open the ${names.buckets.evals} bucket: run \`signalbox init\` (or start the services once) to create it`, { cause: error });
    }
  }

  async put(record: EvalRecord): Promise<void> {
    await this.#bucket.put(record.id, JSON.stringify(EvalRecord.parse(record)));
  }

  /** The record `id`, or undefined when there is none or it does not validate. */
  async get(id: string): Promise<EvalRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) return undefined;
    const entry = await this.#bucket.get(id);
    if (entry?.operation !== 'PUT') return undefined;
    let json: unknown;
    try {
      json = entry.json();
    } catch {
      return undefined;
    }
    const parsed = EvalRecord.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }
}
