import type { NatsConnection } from '@nats-io/nats-core';
import { AgentDefinition, type Naming } from '@signalbox/events';
import { defaultGateTimeoutMs } from '@signalbox/session';
import type { GatedAgent } from './doctor-gate-checks.ts';
import { storedValues } from './doctor-permission-facts.ts';

/** The stored agents whose `supervision.gate` is on, by name. */
export async function gatedAgentsOf(nc: NatsConnection, names: Naming): Promise<GatedAgent[]> {
  const agents = [...(await storedValues(nc, names.buckets.agents)).values()].flatMap((value): GatedAgent[] => {
    const parsed = AgentDefinition.safeParse(jsonOf(value));
    const supervision = parsed.success ? parsed.data.supervision : undefined;
    if (!parsed.success || supervision === undefined || supervision === false || supervision.gate === undefined || supervision.gate === false) return [];
    const settings = supervision.gate === true ? {} : supervision.gate;
    return [{ agent: parsed.data.name, timeoutMs: settings.timeoutMs ?? defaultGateTimeoutMs, onNoAnswer: settings.onNoAnswer ?? 'open' }];
  });
  return agents.sort((a, b) => (a.agent < b.agent ? -1 : 1));
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
