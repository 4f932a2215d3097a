import type { NatsConnection } from '@nats-io/nats-core';
import { SessionIndexEntry, type AgentDefinition, type Naming } from '@signalbox/events';
import { storedValues } from './doctor-permission-facts.ts';
import { overdueSessions, type RetentionFacts } from './doctor-retention-checks.ts';

/** The retention the stored agents and this environment set, and the sessions index's rows kept past it. */
export async function retentionFactsOf(nc: NatsConnection, names: Naming, agents: readonly AgentDefinition[], installation: string | undefined, now: number): Promise<RetentionFacts> {
  const periods = {
    agents: agents.flatMap(({ name, retention }) => (retention === undefined ? [] : [{ agent: name, retention }])),
    ...(installation === undefined ? {} : { installation }),
  };
  if (periods.agents.length === 0 && installation === undefined) return { ...periods, overdue: [] };
  const rows = [...(await storedValues(nc, names.buckets.sessions)).values()].flatMap((value) => {
    const row = SessionIndexEntry.safeParse(jsonOf(value));
    return row.success ? [row.data] : [];
  });
  return { ...periods, overdue: overdueSessions(rows, periods, now) };
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
