import type { NatsConnection } from '@nats-io/nats-core';
import { MemoryStoreDefinition, type Naming } from '@signalbox/events';
import { storedValues } from './doctor-permission-facts.ts';

/** The memory stores' definitions in `sbx-memory` (`<store>.definition`, JSON); one that does not parse is left out. */
export async function storedMemoryStores(nc: NatsConnection, names: Naming): Promise<MemoryStoreDefinition[]> {
  return [...(await storedValues(nc, names.buckets.memory, '*.definition')).values()].flatMap((value) => {
    const parsed = MemoryStoreDefinition.safeParse(jsonOf(value));
    return parsed.success ? [parsed.data] : [];
  });
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
