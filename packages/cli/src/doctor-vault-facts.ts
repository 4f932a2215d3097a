import type { NatsConnection } from '@nats-io/nats-core';
import { AgentDefinition, type Naming } from '@signalbox/events';
import { SealedSecret } from '@signalbox/store';
import { storedValues } from './doctor-permission-facts.ts';
import type { VaultFacts } from './doctor-vault-checks.ts';

/**
 * Each stored secret's name and the id of the key it is sealed under (the record says so in clear,
 * and nothing else is read), and the agents that name a secret as their provider key. `present`: the buckets there.
 */
export async function vaultFactsOf(nc: NatsConnection, names: Naming, present: ReadonlySet<string>): Promise<Omit<VaultFacts, 'keys'>> {
  const sealed = [...(await storedValues(nc, names.buckets.secrets))].map(([name, data]) => {
    const record = SealedSecret.safeParse(jsonOf(data));
    return { name, keyId: record.success ? record.data.keyId : 'unreadable' };
  });
  return { sealed: sealed.sort(byName((secret) => secret.name)), providerKeys: await providerKeysOf(nc, names, present) };
}

async function providerKeysOf(nc: NatsConnection, names: Naming, present: ReadonlySet<string>): Promise<VaultFacts['providerKeys']> {
  const agents = (await storedAgents(nc, names, present)).flatMap((agent) => (agent.providerKeySecret === undefined ? [] : [{ agent: agent.name, secret: agent.providerKeySecret }]));
  return agents.sort(byName((entry) => entry.agent));
}

/** The agent definitions stored in `sbx-agents` (none when the bucket is not there); one that does not parse is left out. */
export async function storedAgents(nc: NatsConnection, names: Naming, present: ReadonlySet<string>): Promise<AgentDefinition[]> {
  if (!present.has(names.buckets.agents)) return [];
  return [...(await storedValues(nc, names.buckets.agents)).values()].flatMap((value) => {
    const parsed = AgentDefinition.safeParse(jsonOf(value));
    return parsed.success ? [parsed.data] : [];
  });
}

function byName<T>(nameOf: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (nameOf(a) < nameOf(b) ? -1 : 1);
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
