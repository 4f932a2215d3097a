import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { SealedSecret } from '@signalbox/store';
import { storedValues } from './doctor-permission-facts.ts';
import type { VaultFacts } from './doctor-vault-checks.ts';

/** Each stored secret's name and the id of the key it is sealed under: the record says so in clear, and nothing else is read. */
export async function vaultFactsOf(nc: NatsConnection, names: Naming): Promise<VaultFacts['sealed']> {
  const sealed = [...(await storedValues(nc, names.buckets.secrets))].map(([name, data]) => {
    const record = SealedSecret.safeParse(jsonOf(data));
    return { name, keyId: record.success ? record.data.keyId : 'unreadable' };
  });
  return sealed.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
