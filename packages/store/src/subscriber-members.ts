import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import type { Naming } from '@signalbox/events';

/**
 * The event subscriber replicas alive now, per group, in the subscribers bucket: each replica renews
 * its entry `<group>.<instance>` every second or so, and the bucket's age limit removes the entry of
 * one that stopped renewing (a kill -9) within `subscriberEntryTtlMs`. The server's clock decides, so
 * replicas need not agree on the time.
 */
export class SubscriberMembers {
  readonly #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<SubscriberMembers> {
    return new SubscriberMembers(await new Kvm(nc).open(names.buckets.subscribers));
  }

  /** The name an instance has among the members: one key token (host names hold dots). */
  static memberName(instance: string): string {
    return instance.replace(/[^A-Za-z0-9_=-]/g, '_');
  }

  async renew(group: string, instance: string): Promise<void> {
    await this.#kv.put(`${group}.${SubscriberMembers.memberName(instance)}`, '');
  }

  async leave(group: string, instance: string): Promise<void> {
    await this.#kv.purge(`${group}.${SubscriberMembers.memberName(instance)}`);
  }

  /** The member names of `group` alive now, sorted. */
  async members(group: string): Promise<string[]> {
    const found: string[] = [];
    for await (const key of await this.#kv.keys(`${group}.*`)) found.push(key.slice(group.length + 1));
    return found.sort();
  }
}
