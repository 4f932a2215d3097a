import { NoRespondersError, type NatsConnection } from '@nats-io/nats-core';
import { AgentDefinition, PermissionBrokerStatus, SessionIndexEntry, type Naming } from '@signalbox/events';
import { z } from 'zod';
import { approvalGraceMs, type PermissionFacts } from './doctor-permission-checks.ts';

/**
 * How doctor listens for broker replicas: up to `maxWait` for the first (a busy machine may be slow
 * to answer), then until none has answered for `stall`: each answers at once, so the others follow closely.
 */
const brokerReplies = { strategy: 'stall', maxWait: 3_000, stall: 300 } as const;

const StreamSubjects = z.object({ state: z.object({ subjects: z.record(z.string(), z.number()).nullish() }) });
const StoredMessage = z.object({ message: z.object({ data: z.string().optional(), hdrs: z.string().optional() }) });

/**
 * What doctor says of permissions: the brokers answering now, the grant signers executors here
 * require, and agents naming a policy the policies bucket does not hold. `present`: the buckets there.
 */
export async function permissionFactsOf(nc: NatsConnection, names: Naming, present: ReadonlySet<string>, grantSigners: readonly string[], now: number): Promise<PermissionFacts> {
  const [brokers, unstoredPolicies, overdueApprovals] = await Promise.all([brokersAnswering(nc, names), unstoredPoliciesOf(nc, names, present), overdueApprovalsOf(nc, names, present, now)]);
  return { brokers, grantSigners: [...grantSigners], unstoredPolicies, overdueApprovals };
}

/** Approvals the sessions index still lists well after their deadlines: their timers were not delivered. */
async function overdueApprovalsOf(nc: NatsConnection, names: Naming, present: ReadonlySet<string>, now: number): Promise<PermissionFacts['overdueApprovals']> {
  if (!present.has(names.buckets.sessions)) return [];
  return [...(await storedValues(nc, names.buckets.sessions)).values()].flatMap((value) => {
    const row = SessionIndexEntry.safeParse(jsonOf(value));
    const waiting = row.success ? (row.data.approvals ?? []) : [];
    return waiting.filter(({ deadline }) => deadline + approvalGraceMs < now).map(({ approvalId, deadline }) => ({ approvalId, deadline }));
  });
}

/** Every broker replica's status, as each answers `permissionStatus`; one that answers nonsense is not counted. */
async function brokersAnswering(nc: NatsConnection, names: Naming): Promise<PermissionBrokerStatus[]> {
  const brokers: PermissionBrokerStatus[] = [];
  try {
    for await (const reply of await nc.requestMany(names.subjects.permissionStatus, '', brokerReplies)) {
      const parsed = PermissionBrokerStatus.safeParse(jsonOf(reply.data));
      if (parsed.success) brokers.push(parsed.data);
    }
  } catch (error) {
    if (!(error instanceof NoRespondersError)) throw error;
  }
  return brokers.sort((a, b) => (a.instance < b.instance ? -1 : 1));
}

async function unstoredPoliciesOf(nc: NatsConnection, names: Naming, present: ReadonlySet<string>): Promise<PermissionFacts['unstoredPolicies']> {
  const { agents: agentsBucket, policies: policiesBucket } = names.buckets;
  if (!present.has(agentsBucket)) return [];
  const agents = [...(await storedValues(nc, agentsBucket)).values()].flatMap((value) => {
    const parsed = AgentDefinition.safeParse(jsonOf(value));
    return parsed.success && parsed.data.policy !== undefined ? [{ agent: parsed.data.name, policy: parsed.data.policy }] : [];
  });
  if (agents.length === 0) return [];
  const policies = present.has(policiesBucket) ? await storedValues(nc, policiesBucket) : new Map<string, Uint8Array>();
  return agents.filter(({ policy }) => !policies.has(policy)).sort((a, b) => (a.agent < b.agent ? -1 : 1));
}

/** A KV bucket's live entries (those matching `keys`), read over the JetStream API (the CLI has no KV client): deleted and purged keys left out. */
export async function storedValues(nc: NatsConnection, bucket: string, keys = '>'): Promise<Map<string, Uint8Array>> {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const info = StreamSubjects.parse(await apiRequest(nc, `$JS.API.STREAM.INFO.${stream}`, { subjects_filter: `${prefix}${keys}` }));
  const values = new Map<string, Uint8Array>();
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const { message } = StoredMessage.parse(await apiRequest(nc, `$JS.API.STREAM.MSG.GET.${stream}`, { last_by_subj: subject }));
    const headers = Buffer.from(message.hdrs ?? '', 'base64').toString('utf8');
    // A delete or purge is a message too, marked in its headers.
    if (/^KV-Operation:\s*(DEL|PURGE)\s*$/im.test(headers)) continue;
    values.set(subject.slice(prefix.length), Buffer.from(message.data ?? '', 'base64'));
  }
  return values;
}

async function apiRequest(nc: NatsConnection, subject: string, body: unknown): Promise<unknown> {
  const reply = jsonOf((await nc.request(subject, JSON.stringify(body), { timeout: 5_000 })).data) as { error?: { description?: string } } | undefined;
  if (reply?.error) throw new Error(`${subject}: ${reply.error.description ?? 'refused'}`);
  return reply;
}

function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
