import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentDefinition, retentionMs, type Naming } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import type { RetentionRules } from '../core/expired-sessions.ts';

/**
 * The agents' retention periods as stored now (an edit applies to sessions already completed), and the
 * installation's. An agent definition that does not parse is skipped and logged: its sessions keep the
 * installation's period, never a shorter guess.
 */
export async function readRetentionRules(nc: NatsConnection, names: Naming, installation: string | undefined, logger: Logger): Promise<RetentionRules> {
  const agents = await new Kvm(nc).open(names.buckets.agents);
  const byAgent = new Map<string, number>();
  for await (const key of await agents.keys()) {
    const entry = await agents.get(key);
    if (entry?.operation !== 'PUT') continue;
    const parsed = AgentDefinition.safeParse(entry.json());
    if (!parsed.success) {
      logger.warn({ agent: key }, 'agent definition does not parse; its sessions keep the installation retention');
      continue;
    }
    if (parsed.data.retention !== undefined) byAgent.set(parsed.data.name, retentionMs(parsed.data.retention));
  }
  return { byAgent, ...(installation === undefined ? {} : { installation: retentionMs(installation) }) };
}
