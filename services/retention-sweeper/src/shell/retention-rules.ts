import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentDefinition, retentionMs, type Naming, type RetentionRules } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';

/**
 * The agents' retention periods as stored now (an edit applies to sessions already completed), and the
 * installation's. An agent definition that does not parse is skipped and logged: its sessions keep the
 * installation's period, never a shorter guess. The agents are listed from the bucket's stream info,
 * not with a consumer, so the sweeper's NATS user needs no consumer on the agents bucket.
 */
export async function readRetentionRules(nc: NatsConnection, names: Naming, installation: string | undefined, logger: Logger): Promise<RetentionRules> {
  const bucket = names.buckets.agents;
  const prefix = `$KV.${bucket}.`;
  const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
  const agents = await new Kvm(nc).open(bucket);
  const byAgent = new Map<string, number>();
  for (const key of Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length))) {
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
