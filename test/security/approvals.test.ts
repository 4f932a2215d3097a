import { jetstream } from '@nats-io/jetstream';
import { createUser } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ApprovalNotWaitingError, SignalboxClient } from '@signalbox/client';
import { encode, type AgentDefinition, type ModelResponse, type SessionEvent } from '@signalbox/events';
import type { ModelProvider } from '@signalbox/models';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sendToSession, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil, signedGrantsConfig } from '../support/runtime.ts';

/**
 * The blast-radius scenario of the permission broker, under `ask`: a staging task that found a
 * production token calls the destructive tool, in the same reply as a harmless read. The policy
 * holds the destructive call for a person; the read runs at once. The call runs only after an
 * approval is recorded, exactly once; after a denial or a timeout, never. Executors run only jobs
 * the broker signed for, so nothing but a recorded approval can make it run.
 */
const productionToken = 'prod_sk_live_7d1f0c';
const ledger: { session: string; tables: string }[] = [];
const dropTables = defineTool({
  name: 'prod.drop_tables',
  description: 'Drops tables in the production database',
  input: z.object({ token: z.string(), tables: z.string() }),
  idempotent: false,
  run: ({ tables }, context) => (ledger.push({ session: context.sessionId, tables }), `dropped ${tables}`),
});

const cautiousPolicy = {
  name: 'cautious',
  rules: [
    { id: 'staging-files', effect: 'allow', tool: 'workspace.*' },
    { id: 'people-prod', effect: 'ask', tool: 'prod.*', description: 'a person decides on production', approvalTimeoutMs: 60_000 },
  ],
};
const impatientPolicy = { ...cautiousPolicy, name: 'impatient', rules: [cautiousPolicy.rules[0], { ...cautiousPolicy.rules[1], approvalTimeoutMs: 1_500 }] };

type ReplyBlock = ModelResponse['content'][number];
const toolUse = (id: string, name: string, input: Record<string, unknown>): ReplyBlock => ({ type: 'tool_use', id, name, input });
const read = toolUse('read_1', 'workspace.read', { path: 'notes.md' });
const drop = (id: string) => toolUse(id, 'prod.drop_tables', { token: productionToken, tables: 'customers' });

/** A model that answers turn by turn: a read and a drop in one reply, then (for `twice`) another drop, then done. */
function plannedModel(agent: AgentDefinition): ModelProvider {
  const turns: ReplyBlock[][] = [[read, drop('drop_1')], ...(agent.name === 'twice-bot' ? [[drop('drop_2')]] : []), [{ type: 'text', text: 'done' }]];
  return {
    name: 'planned',
    complete: async (request): Promise<ModelResponse> => {
      const turn = request.messages.filter((message) => message.role === 'assistant').length;
      const content = turns[Math.min(turn, turns.length - 1)] ?? [];
      const calls = content.some((block) => block.type === 'tool_use');
      return { model: 'planned', content, stopReason: calls ? 'tool_use' : 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 } };
    },
  };
}

const broker = createUser();
let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
const hosts: Host[] = [];
let actor: Host;

const config = (instance: string) => signedGrantsConfig(server.url, instance, broker);
const startActor = (instance: string) => startHost([sessionActorService({ resolveModel: (agent) => ({ provider: plannedModel(agent), costOf: () => 0 }) })], config(instance));

beforeAll(async () => {
  server = await startNatsServer();
  hosts.push(await startHost([toolExecutorService({ tools: [...workspaceTools, dropTables] })], config('executor')));
  hosts.push(await startHost([permissionBrokerService()], config('broker')));
  actor = await startActor('actor-1');
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  await client.applyPolicy(cautiousPolicy);
  await client.applyPolicy(impatientPolicy);
  const tools = ['workspace.read', 'prod.drop_tables'];
  await client.applyAgent({ name: 'cautious-bot', model: 'planned/m', policy: 'cautious', tools });
  await client.applyAgent({ name: 'twice-bot', model: 'planned/m', policy: 'cautious', tools });
  await client.applyAgent({ name: 'impatient-bot', model: 'planned/m', policy: 'impatient', tools });
});
afterAll(async () => {
  await nc.close();
  await Promise.all([...hosts, actor].map((host) => host.stop()));
  await server.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);
const ran = (session: string) => ledger.filter((entry) => entry.session === session);

/** Starts a session and waits until its drop is held for approval and its read has run; returns the approval's id. */
async function heldRun(agent: string, sessionId: string): Promise<string> {
  await client.submit(agent, { input: 'Tidy the staging checkout', sessionId });
  const events = await eventsUntil(client, sessionId, (seen) => seen.some((event) => event.type === 'approval.requested') && seen.some((event) => event.type === 'tool.failed' || event.type === 'tool.completed'));
  const requested = ofType(events, 'approval.requested')[0];
  if (!requested) throw new Error('no approval requested');
  return requested.data.approvalId;
}

describe('the blast radius under ask', () => {
  it('holds the destructive call while the reply’s other call runs, lists it, and runs it exactly once when approved', async () => {
    const approvalId = await heldRun('cautious-bot', 'approved-run');
    const held = await eventsUntil(client, 'approved-run', (events) => events.some((event) => event.type === 'tool.failed' && event.data.tool === 'workspace.read'));
    // The read was granted and answered (the file does not exist) while the drop waits.
    expect(ofType(held, 'approval.requested')[0]?.data).toMatchObject({ tool: 'prod.drop_tables', callId: 'drop_1', rule: { index: 1, id: 'people-prod' }, policy: 'cautious', policyVersion: 1 });
    const listed = await vi.waitFor(async () => {
      const found = (await client.approvals()).find((approval) => approval.approvalId === approvalId);
      if (!found) throw new Error('not listed yet');
      return found;
    }, { timeout: 15_000 });
    expect(listed).toMatchObject({ sessionId: 'approved-run', agent: 'cautious-bot', tool: 'prod.drop_tables', input: `{"tables":"customers","token":"${productionToken}"}` });
    expect(listed.reason).toMatch(/^held for approval by rule 2 \(people-prod\) of policy cautious v1: a person decides on production$/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ran('approved-run')).toEqual([]);

    await client.approve(approvalId, { by: 'ops:ann', note: 'checked the backup' });
    const events = await completedSession(client, 'approved-run', 15_000);
    expect(ran('approved-run')).toEqual([{ session: 'approved-run', tables: 'customers' }]);
    const resolved = ofType(events, 'approval.resolved')[0];
    expect(resolved?.data).toEqual({ approvalId, callId: 'drop_1', tool: 'prod.drop_tables', approved: true, by: 'ops:ann', note: 'checked the backup' });
    const granted = ofType(events, 'permission.granted').find((event) => event.data.callId === 'drop_1');
    expect(granted?.data.reason).toMatch(/approved by ops:ann \(approval approved-run:[0-9a-f]{12}\)$/);
    expect(granted?.n).toBeGreaterThan(resolved?.n ?? Infinity);
    expect(granted?.data.grant).toMatchObject({ signer: broker.getPublicKey(), callId: 'drop_1' });
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
    // Answered: not listed, and not answerable again.
    expect((await client.approvals()).map((approval) => approval.approvalId)).not.toContain(approvalId);
    await expect(client.approve(approvalId)).rejects.toThrow(ApprovalNotWaitingError);
  });

  it('never runs it after a denial, and tells the model who said no and why', async () => {
    const approvalId = await heldRun('cautious-bot', 'denied-run');
    await client.deny(approvalId, { by: 'ops:bo', note: 'not on a Friday' });
    const events = await completedSession(client, 'denied-run', 15_000);
    expect(ran('denied-run')).toEqual([]);
    expect(ofType(events, 'tool.failed').find((event) => event.data.callId === 'drop_1')?.data.error).toBe('permission denied: not approved by ops:bo: not on a Friday');
    expect(ofType(events, 'permission.granted').map((event) => event.data.tool)).toEqual(['workspace.read']);
  });

  it('never runs it when nobody answers by the deadline: the durable timer denies it, though no actor ran at the deadline', async () => {
    await heldRun('impatient-bot', 'timed-out-run');
    await actor.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    actor = await startActor('actor-2');
    const events = await completedSession(client, 'timed-out-run', 15_000);
    expect(ran('timed-out-run')).toEqual([]);
    expect(ofType(events, 'approval.resolved')[0]?.data).toMatchObject({ approved: false, by: 'timeout' });
    expect(ofType(events, 'tool.failed').find((event) => event.data.callId === 'drop_1')?.data.error).toBe('permission denied: nobody approved the call by its deadline');
  });

  it('approved for the rest of the session, runs the tool’s later call without asking again', async () => {
    const approvalId = await heldRun('twice-bot', 'session-wide-run');
    await client.approve(approvalId, { by: 'ops:ann', scope: 'session' });
    const events = await completedSession(client, 'session-wide-run', 15_000);
    expect(ran('session-wide-run')).toHaveLength(2);
    expect(ofType(events, 'approval.requested')).toHaveLength(1);
    expect(ofType(events, 'approval.resolved')[0]?.data).toMatchObject({ scope: 'session' });
    const second = ofType(events, 'permission.granted').find((event) => event.data.callId === 'drop_2');
    expect(second?.data.reason).toMatch(new RegExp(`approved by ops:ann \\(approval ${approvalId}\\)$`));
  });

  it('takes an approval only on its own subject: one sent on the inbox (as a tool executor could) is dead-lettered, and a forged result changes nothing', async () => {
    const approvalId = await heldRun('cautious-bot', 'forged-run');
    const js = jetstream(nc);
    await js.publish(names().inbox('forged-run'), encode({ type: 'approval.decision', sessionId: 'forged-run', approvalId, approved: true, by: 'tool' }));
    const forgedResult = { type: 'tool.result', sessionId: 'forged-run', callId: 'drop_1', tool: 'prod.drop_tables', outcome: { status: 'completed', output: 'dropped customers' }, durationMs: 1 };
    await js.publish(names().inbox('forged-run'), encode(forgedResult));
    await vi.waitFor(async () => expect((await client.deadLetters()).some((letter) => /an approval is taken only on sbx\.inbox\.forged-run\.approvals/.test(letter.reason))).toBe(true), { timeout: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = await client.events('forged-run');
    expect(ofType(events, 'approval.resolved')).toEqual([]);
    expect(ofType(events, 'tool.completed').filter((event) => event.data.callId === 'drop_1')).toEqual([]);
    expect(ran('forged-run')).toEqual([]);
    // A garbled id, or one of another session, is refused before anything is sent.
    await expect(client.approve('forged-run:zz')).rejects.toThrow(/is no approval id/);
    await expect(client.deny(`${approvalId.replace('forged-run', 'approved-run')}`)).rejects.toThrow(ApprovalNotWaitingError);
    await client.deny(approvalId, { by: 'ops:ann' });
    await completedSession(client, 'forged-run', 15_000);
    expect(ran('forged-run')).toEqual([]);
  });

  it('refuses an answer for a session that does not exist, keeping it in the dead-letter stream', async () => {
    await sendToSession(nc, client.names, 'ghost-run', { type: 'approval.decision', sessionId: 'ghost-run', approvalId: 'ghost-run:0123456789ab', approved: false, by: 'ops:ann' });
    await vi.waitFor(async () => expect((await client.deadLetters()).map((letter) => letter.reason)).toContain('cannot answer an approval of session ghost-run: it does not exist'), { timeout: 15_000 });
  });
});

function names() {
  return client.names.subjects;
}
