import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { doctor } from '@signalbox/cli';
import { SignalboxClient } from '@signalbox/client';
import { decode, decodeLiveMessage, encode, GradeCommand, naming, OutcomeSettings, toolJobDurable, type GradeJob } from '@signalbox/events';
import { gatewayService } from '@signalbox/gateway';
import { graderService, type GraderModels } from '@signalbox/grader';
import { memoryConsolidatorService } from '@signalbox/memory-consolidator';
import { connectAuthenticated, RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { retentionSweeperService } from '@signalbox/retention-sweeper';
import { ApiTokens, MemoryStore, memoryEntryId, provision, provisionEventPartitions, SecretVault, vaultKeyOf, WorkspaceFiles } from '@signalbox/store';
import { currentHarness, startNatsServer, type NatsServer } from '@signalbox/testing';
import { probeSandbox, shellExecTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil, scriptedAgent } from '../support/runtime.ts';
import { readOutputOf } from '../support/workspace-reads.ts';

const mcpFixture = fileURLToPath(new URL('../../services/tool-executor/src/shell/mcp-servers.fixtures.ts', import.meta.url));

/**
 * The least-privilege configuration of deploy/nats/, as a deployment runs it: provisioning as the
 * admin, each service as its own user, a task publisher that may only publish tasks and hear its own
 * replies. Every forbidden action in the matrix is refused, and changes nothing.
 */
const deployDir = new URL('../../deploy/nats/', import.meta.url);
const names = naming('sbx');
const passwords = {
  SIGNALBOX_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_SESSION_ACTOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_TOOL_EXECUTOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_MCP_EXECUTOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_SHELL_EXECUTOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_PERMISSION_BROKER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_TASK_PUBLISHER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_APPROVER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_SUPERVISOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_GRADER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_LIVE_VIEWER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_RETENTION_SWEEPER_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_MEMORY_CONSOLIDATOR_PASSWORD: randomBytes(12).toString('hex'),
  SIGNALBOX_GATEWAY_PASSWORD: randomBytes(12).toString('hex'),
};
const users = {
  admin: { user: 'signalbox-admin', password: passwords.SIGNALBOX_ADMIN_PASSWORD },
  actor: { user: 'session-actor', password: passwords.SIGNALBOX_SESSION_ACTOR_PASSWORD },
  executor: { user: 'tool-executor', password: passwords.SIGNALBOX_TOOL_EXECUTOR_PASSWORD },
  mcpExecutor: { user: 'mcp-executor', password: passwords.SIGNALBOX_MCP_EXECUTOR_PASSWORD, inboxPrefix: '_SBX_INBOX.mcp-executor' },
  shell: { user: 'shell-executor', password: passwords.SIGNALBOX_SHELL_EXECUTOR_PASSWORD, inboxPrefix: '_SBX_INBOX.shell-executor' },
  broker: { user: 'permission-broker', password: passwords.SIGNALBOX_PERMISSION_BROKER_PASSWORD },
  publisher: { user: 'task-publisher', password: passwords.SIGNALBOX_TASK_PUBLISHER_PASSWORD, inboxPrefix: '_INBOX.task-publisher' },
  approver: { user: 'approver', password: passwords.SIGNALBOX_APPROVER_PASSWORD, inboxPrefix: '_INBOX.approver' },
  supervisor: { user: 'supervisor', password: passwords.SIGNALBOX_SUPERVISOR_PASSWORD },
  grader: { user: 'grader', password: passwords.SIGNALBOX_GRADER_PASSWORD, inboxPrefix: '_SBX_INBOX.grader' },
  viewer: { user: 'live-viewer', password: passwords.SIGNALBOX_LIVE_VIEWER_PASSWORD },
  sweeper: { user: 'retention-sweeper', password: passwords.SIGNALBOX_RETENTION_SWEEPER_PASSWORD, inboxPrefix: '_SBX_INBOX.retention-sweeper' },
  consolidator: { user: 'memory-consolidator', password: passwords.SIGNALBOX_MEMORY_CONSOLIDATOR_PASSWORD, inboxPrefix: '_SBX_INBOX.memory-consolidator' },
  gateway: { user: 'gateway', password: passwords.SIGNALBOX_GATEWAY_PASSWORD, inboxPrefix: '_SBX_INBOX.gateway' },
};
type Role = keyof typeof users;
/** The test agent, listing its workspace too: a listing reads the workspace index through a consumer. */
const listingToo = {
  tools: ['workspace.write', 'workspace.read', 'workspace.list'],
  script: [
    { tool: 'workspace.write', input: { path: 'note.md', content: 'remember the milk' } },
    { tool: 'workspace.read', input: { path: 'note.md' } },
    { tool: 'workspace.list', input: {} },
    { final: 'noted' },
  ],
};

/** The grader's model: passes every criterion, and says which file contents it was shown. */
const graderModels: GraderModels = () => ({
  name: 'grader',
  costOf: () => 0,
  provider: {
    name: 'scripted',
    complete: async (request) => {
      const shown = JSON.stringify(request.messages).includes('remember the milk');
      const text = JSON.stringify({ verdicts: [{ criterion: 'c1', passed: shown, reason: shown ? 'The note is there.' : 'No note.' }], changes: [] });
      return { model: 'grader', content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 } };
    },
  },
});

/** The consolidation model: one entry, citing the first line of the first transcript it reads. */
const dreamModels: GraderModels = () => ({
  name: 'dreamer',
  costOf: () => 0,
  provider: {
    name: 'scripted',
    complete: async (request) => {
      const read = request.messages.flatMap((message) => message.content).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
      const sessionId = /<transcript session="([^"]+)"/.exec(read)?.[1] ?? 'none';
      const text = JSON.stringify({ add: [{ text: 'The scribe keeps its notes in note.md.', evidence: [{ sessionId, events: [1] }] }] });
      return { model: 'dreamer', content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 } };
    },
  },
});

const sandbox = probeSandbox();
const brokerKey = createUser();
const vaultKey = vaultKeyOf(randomBytes(32));
let server: NatsServer;
const hosts: Host[] = [];
/** Where the gateway, connected as its own NATS user, listens. */
let gatewayUrl = '';
const connections = new Map<Role, NatsConnection>();
/** What the server refused the services, as their connections report it: must stay empty. */
const refusedToServices: string[] = [];

/** users.conf with each password variable replaced by its value (a container does not see this process's environment). */
function usersConfig(): string {
  let text = readFileSync(new URL('users.conf', deployDir), 'utf8');
  for (const [variable, value] of Object.entries(passwords)) text = text.replaceAll(`$${variable}`, `"${value}"`);
  return text;
}

function connectionOf(role: Role): NatsConnection {
  const nc = connections.get(role);
  if (!nc) throw new Error(`no connection as ${role}`);
  return nc;
}

beforeAll(async () => {
  server = await startNatsServer({ config: usersConfig() });
  for (const role of Object.keys(users) as Role[]) connections.set(role, await connectAuthenticated(server.url, users[role]));
  const admin = connectionOf('admin');
  await provision(admin, names);
  await provisionEventPartitions(admin, names);
  await (await SignalboxClient.open(admin)).applyAgent(scriptedAgent(listingToo));
  await (await SignalboxClient.open(admin)).applyPolicy({ name: 'workspace-only', rules: [{ effect: 'allow', tool: 'workspace.*' }] });
  await (await SignalboxClient.open(admin)).applyAgent(scriptedAgent({ ...listingToo, name: 'guarded', policy: 'workspace-only' }));
  await (await SignalboxClient.open(admin)).setSecret('VAULT_CANARY', 'vault-canary-value', vaultKey);
  await (await SignalboxClient.open(admin)).applyPolicy({ name: 'ask-writes', rules: [{ effect: 'ask', tool: 'workspace.write' }, { effect: 'allow', tool: 'workspace.*' }] });
  await (await SignalboxClient.open(admin)).applyAgent(scriptedAgent({ ...listingToo, name: 'careful', policy: 'ask-writes' }));
  hosts.push(await hostAs('actor', [sessionActorService()]));
  hosts.push(await hostAs('broker', [permissionBrokerService()]));
  hosts.push(await hostAs('executor', [toolExecutorService({ tools: workspaceTools })]));
  await (await SignalboxClient.open(admin)).applyPolicy({ name: 'mcp-only', rules: [{ effect: 'allow', tool: 'mcp.lp.*' }] });
  await (await SignalboxClient.open(admin)).applyAgent({ name: 'mcp-caller', model: 'scripted', policy: 'mcp-only', tools: ['mcp.lp.echo_text'], script: [{ tool: 'mcp.lp.echo_text', input: { text: 'hi' } }, { final: 'ok' }] });
  hosts.push(await hostAs('mcpExecutor', [toolExecutorService({ tools: [], mcpServers: [{ name: 'lp', command: process.execPath, args: [mcpFixture, 'stdio'] }] })]));
  // shell.exec on an executor of its own, as its own user, where this machine can sandbox it.
  if (sandbox.available) hosts.push(await hostAs('shell', [toolExecutorService({ tools: [shellExecTool()] })]));
  hosts.push(await hostAs('supervisor', [supervisorService()]));
  hosts.push(await hostAs('grader', [graderService({ models: graderModels })]));
  hosts.push(await hostAs('gateway', [gatewayService({ onListening: (url) => (gatewayUrl = url) })]));
  for (const host of hosts) void recordRefusals(host.nc);
}, 60_000);

/** A host of `services` connected as `role`'s NATS user, as a deployment runs them. */
/**
 * A host of `services` connected as `role`'s NATS user. Snapshots every few events, so the actor writes
 * snapshots and transcripts too; executors run only jobs with the broker's grant, so the grant travels
 * through every user's permissions.
 */
function hostAs(role: 'actor' | 'executor' | 'mcpExecutor' | 'shell' | 'broker' | 'supervisor' | 'grader' | 'sweeper' | 'consolidator' | 'gateway', services: Parameters<typeof startHost>[0]): Promise<Host> {
  const config = RuntimeConfig.parse({
    natsUrl: server.url,
    natsAuth: users[role],
    logLevel: 'silent',
    instance: role,
    sessionActor: { snapshotEvery: 3 },
    permissionBroker: { nkeySeed: new TextDecoder().decode(brokerKey.getSeed()) },
    toolExecutor: { grantSigners: [brokerKey.getPublicKey()] },
    gateway: { port: 0 },
  });
  return startHost(services, config);
}

async function recordRefusals(nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'error' && /permission/i.test(String(status.error))) refusedToServices.push(String(status.error));
  }
}

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await Promise.all([...connections.values()].map((nc) => nc.close()));
  await server?.dispose();
});

describe('deploy/nats', () => {
  it('is a configuration nats-server accepts, with the passwords from its environment', async () => {
    const { binary } = await currentHarness();
    const { stdout, stderr } = await promisify(execFile)(binary, ['-t', '-c', new URL('server.conf', deployDir).pathname], { env: { ...process.env, ...passwords } });
    expect(`${stdout}${stderr}`).toMatch(/configuration file .*server\.conf is valid/);
  });

  it('lets each service do its job: a published task runs to the end through the actor and the executor', async () => {
    const publisher = await SignalboxClient.open(connectionOf('publisher'));
    await expect(publisher.submit('scribe', { input: 'note', sessionId: 'least-privilege' })).resolves.toEqual({ status: 'accepted', sessionId: 'least-privilege' });
    const events = await completedSession(await SignalboxClient.open(connectionOf('admin')), 'least-privilege', 20_000);
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'permission.granted')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(refusedToServices).toEqual([]);
  });

  it('lets the MCP executor run the tools of its MCP servers, and only those', async () => {
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('mcp-caller', { input: 'echo', sessionId: 'least-privilege-mcp' });
    const events = await completedSession(await SignalboxClient.open(connectionOf('admin')), 'least-privilege-mcp', 20_000);
    expect(events.filter((event) => event.type === 'tool.completed').map((event) => event.data.output)).toEqual(['hi']);
    expect(refusedToServices).toEqual([]);
  });

  it.skipIf(!sandbox.available)("runs a session's shell.exec on the shell executor, as its own user, and its files reach the workspace", async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    const script = [{ tool: 'shell.exec', input: { command: 'echo from the shell > shell.md' } }, { tool: 'workspace.read', input: { path: 'shell.md' } }, { final: 'ran' }];
    await admin.applyAgent(scriptedAgent({ name: 'sheller', tools: ['shell.exec', 'workspace.read'], script }));
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('sheller', { input: 'run', sessionId: 'least-privilege-shell' });
    const events = await completedSession(admin, 'least-privilege-shell', 20_000);
    const completed = events.filter((event) => event.type === 'tool.completed');
    expect(completed.map((event) => event.data.tool)).toEqual(['shell.exec', 'workspace.read']);
    expect(completed[1]).toMatchObject({ data: { output: expect.stringMatching(readOutputOf('shell.md', 'from the shell\n')) } });
    expect(refusedToServices).toEqual([]);
  });

  it("lets the live viewer hear a session's model text as the actor publishes it", async () => {
    const viewer = connectionOf('viewer');
    const subscription = viewer.subscribe(names.subjects.live('least-privilege-live'));
    await viewer.flush();
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('scribe', { input: 'note', sessionId: 'least-privilege-live' });
    const texts: string[] = [];
    let callsEnded = 0;
    // Four model calls: three tool calls, then the answer.
    for await (const message of subscription) {
      const live = decodeLiveMessage(message.data);
      if (live && 'text' in live) texts.push(live.text);
      if (live && 'done' in live && ++callsEnded === 4) break;
    }
    expect(texts.join('')).toBe('noted');
    expect(refusedToServices).toEqual([]);
  });

  it('has the broker decide by a policy it reads from the policies bucket', async () => {
    const publisher = await SignalboxClient.open(connectionOf('publisher'));
    await publisher.submit('guarded', { input: 'note', sessionId: 'least-privilege-guarded' });
    const events = await completedSession(await SignalboxClient.open(connectionOf('admin')), 'least-privilege-guarded', 20_000);
    expect(events.find((event) => event.type === 'permission.granted')).toMatchObject({ data: { policy: 'workspace-only', policyVersion: 1 } });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(refusedToServices).toEqual([]);
  });

  it("forks a session, whose tool calls read the original's workspace as of the fork point", async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    const afterWrite = (await admin.events('least-privilege')).find((event) => event.type === 'tool.completed')?.n ?? 0;
    const fork = await admin.fork('least-privilege', { at: afterWrite, sessionId: 'least-privilege-fork' });
    const events = await completedSession(admin, fork, 20_000);
    expect(events.find((event) => event.type === 'tool.completed' && event.n > afterWrite)).toMatchObject({ data: { output: expect.stringMatching(readOutputOf('note.md', 'remember the milk')) } });
    expect(refusedToServices).toEqual([]);
  });

  it('lets the approver see what waits for approval and answer it, and the actor hold the call until then', async () => {
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('careful', { input: 'note', sessionId: 'least-privilege-asks' });
    const approver = await SignalboxClient.open(connectionOf('approver'));
    const waiting = await vi.waitFor(async () => {
      const [approval] = await approver.approvals();
      if (!approval) throw new Error('nothing waits for approval yet');
      return approval;
    }, { timeout: 20_000, interval: 100 });
    expect(waiting).toMatchObject({ sessionId: 'least-privilege-asks', tool: 'workspace.write', agent: 'careful' });
    await approver.approve(waiting.approvalId, { by: 'nats:approver', note: 'fine' });
    const events = await completedSession(await SignalboxClient.open(connectionOf('admin')), 'least-privilege-asks', 20_000);
    expect(events.find((event) => event.type === 'approval.resolved')).toMatchObject({ data: { approved: true, by: 'nats:approver', note: 'fine' } });
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(3);
    expect(await approver.approvals()).toEqual([]);
    expect(refusedToServices).toEqual([]);
  });

  it('lets the gateway, as its own user, submit a task, stream its events, approve its held call and fork it', async () => {
    const { secret } = await (await ApiTokens.open(connectionOf('admin'), names)).create('least-privilege', ['admin'], Date.now());
    const call = (path: string, json?: unknown) =>
      fetch(`${gatewayUrl}api/v1${path}`, { method: json === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
    const submitted = await call('/sessions', { agent: 'careful', input: 'note', sessionId: 'least-privilege-gateway' });
    expect(submitted.status).toBe(202);
    const stream = await call('/sessions/least-privilege-gateway/stream');
    expect(stream.status).toBe(200);
    const approvalId = await vi.waitFor(async () => {
      const { approvals } = (await (await call('/approvals')).json()) as { approvals: { sessionId: string; approvalId: string }[] };
      const approval = approvals.find((a) => a.sessionId === 'least-privilege-gateway');
      if (!approval) throw new Error('nothing waits for approval yet');
      return approval.approvalId;
    }, { timeout: 20_000, interval: 100 });
    expect((await call(`/approvals/${approvalId}/approve`, {})).status).toBe(202);
    const streamed = await new Response(stream.body).text();
    expect(streamed).toContain('event: approval.resolved');
    expect(streamed).toContain('event: session.completed');
    expect((await call('/sessions/least-privilege-gateway/pause', {})).status).toBe(202);
    expect((await call('/sessions/least-privilege-gateway/fork', { at: 2 })).status).toBe(201);
    expect((await call('/sessions?agent=careful')).status).toBe(200);
    expect((await call('/sessions/least-privilege-gateway')).status).toBe(200);
    expect((await call('/tokens')).status).toBe(200);
    expect((await call('/memory')).status).toBe(200);
    const agents = await call('/agents');
    expect(agents.status).toBe(200);
    expect(((await agents.json()) as { agents: { name: string }[] }).agents.map((agent) => agent.name)).toContain('careful');
    expect((await call('/sessions/least-privilege-gateway/tree')).status).toBe(200);
    expect((await call(`/diff?a=least-privilege-gateway&b=least-privilege-gateway`)).status).toBe(200);
    expect((await call(`/tool-outputs/${'0'.repeat(64)}`)).status).toBe(404);
    expect(refusedToServices).toEqual([]);
  });

  it('lets the supervisor follow the log and intervene in a looping session', async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    const reads = Array.from({ length: 30 }, () => ({ tool: 'workspace.read', input: { path: 'note.md' } }));
    await admin.applyAgent(scriptedAgent({ ...listingToo, name: 'looper', budget: { maxSteps: 40 }, script: [{ tool: 'workspace.write', input: { path: 'note.md', content: 'remember the milk' } }, ...reads, { final: 'read' }] }));
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('looper', { input: 'loop', sessionId: 'least-privilege-loop' });
    const events = await eventsUntil(admin, 'least-privilege-loop', (seen) => seen.some((event) => event.type === 'session.paused' || event.type === 'session.completed'), 20_000);
    expect(events.find((event) => event.type === 'supervisor.intervened')).toMatchObject({ data: { detector: 'repetition', action: 'nudge' } });
    expect(refusedToServices).toEqual([]);
  });

  it("lets the actor ask the supervisor's gate, and the supervisor answer it, for a gated agent", async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    const reads = Array.from({ length: 3 }, () => ({ tool: 'workspace.read', input: { path: 'note.md' } }));
    await admin.applyAgent(scriptedAgent({ ...listingToo, name: 'gated', supervision: { gate: { onNoAnswer: 'closed' } }, script: [{ tool: 'workspace.write', input: { path: 'note.md', content: 'x' } }, ...reads, { final: 'read' }] }));
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('gated', { input: 'gate', sessionId: 'least-privilege-gate' });
    const events = await eventsUntil(admin, 'least-privilege-gate', (seen) => seen.some((event) => event.type === 'session.completed'), 20_000);
    const verdicts = events.flatMap((event) => (event.type === 'supervisor.gated' ? [[event.data.verdict, event.data.unanswered ?? false]] : []));
    expect(verdicts).toEqual([['proceed', false], ['proceed', false], ['proceed', false], ['block', false]]);
    expect(refusedToServices).toEqual([]);
  });

  it("lets the grader grade an outcome end to end: a job in, the submitted file read from the workspace, the grade out on the session's grader subject", async () => {
    const admin = connectionOf('admin');
    const revision = await (await WorkspaceFiles.open(admin, names)).write('least-privilege-graded', 'note.md', new TextEncoder().encode('remember the milk'));
    const job: GradeJob = {
      sessionId: 'least-privilege-graded',
      correlationId: 'least-privilege-graded',
      attempt: 1,
      output: 'noted',
      files: [{ path: 'note.md', revision }],
      rubric: { criteria: [{ id: 'c1', text: 'The note is in the workspace.', weight: 1, required: true }] },
      outcome: OutcomeSettings.parse({ files: ['note.md'] }),
      model: 'scripted/grader',
    };
    // A core subscription sees the grade as JetStream stores it, whoever consumes the inbox stream.
    const graded = admin.subscribe(names.subjects.grades(job.sessionId), { max: 1 });
    await admin.flush();
    // With the message id the session actor gives a job: the grade takes it.
    await jetstream(admin).publish(names.subjects.gradeJobs, encode(job), { msgID: `grade/${job.sessionId}/1` });
    for await (const message of graded) {
      expect(decode(GradeCommand, message.data, 'grade')).toMatchObject({ sessionId: job.sessionId, attempt: 1, passed: true, score: 1 });
      expect(message.headers?.get('Nats-Msg-Id')).toBe(`grade/${job.sessionId}/1`);
    }
    const regraded = await admin.request(names.subjects.regrade, encode({ ...job, attempt: 2 }), { timeout: 10_000 });
    expect(decode(z.object({ grade: GradeCommand }), regraded.data, 'regrade reply').grade).toMatchObject({ attempt: 2, passed: true });
    expect(refusedToServices).toEqual([]);
  });

  it('lets the retention sweeper delete an expired session everywhere, and nothing else', async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    await admin.applyAgent(scriptedAgent({ ...listingToo, name: 'ephemeral', retention: '1h' }));
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('ephemeral', { input: 'note', sessionId: 'least-privilege-expiring' });
    await completedSession(admin, 'least-privilege-expiring', 20_000);
    // What it wrote to memory: the sweeper, as its own user, rewrites the store without it.
    const memory = await MemoryStore.open(connectionOf('admin'), names);
    await memory.define({ name: 'least-privilege', agents: ['ephemeral'], promotion: 'review' });
    const evidence = [{ sessionId: 'least-privilege-expiring', events: [1] }];
    await memory.write('least-privilege', { id: memoryEntryId('least-privilege-expiring/1'), draft: { text: 'notes go in note.md', scope: 'team', confidence: 0.7, evidence }, author: { kind: 'session', sessionId: 'least-privilege-expiring', event: 1 } }, Date.now());
    const sessionsBefore = (await admin.sessions()).map(({ sessionId }) => sessionId);
    // Two hours on by its clock: past the agent's hour, and no other agent has a retention.
    const sweeper = await hostAs('sweeper', [retentionSweeperService({ clock: () => Date.now() + 2 * 3_600_000, sweepEveryMs: 200 })]);
    void recordRefusals(sweeper.nc);
    try {
      await vi.waitFor(async () => expect(await admin.hasSession('least-privilege-expiring')).toBe(false), { timeout: 20_000, interval: 100 });
    } finally {
      await sweeper.stop();
    }
    expect((await admin.sessions()).map(({ sessionId }) => sessionId)).toEqual(sessionsBefore.filter((id) => id !== 'least-privilege-expiring'));
    expect((await memory.head('least-privilege'))?.entries).toEqual([expect.objectContaining({ evidence: [], flags: ['evidence-deleted'] })]);
    // Its note's content is the other sessions' too (stored once, by sha256): theirs still reads.
    const note = await (await WorkspaceFiles.open(connectionOf('admin'), names)).read([{ root: 'least-privilege' }], 'note.md');
    expect(new TextDecoder().decode(note)).toBe('remember the milk');
    expect(refusedToServices).toEqual([]);
  });

  it("lets the actor load an agent's memory and answer its memory tools, as its own user", async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    await (await MemoryStore.open(connectionOf('admin'), names)).define({ name: 'actor-memory', agents: ['learner'], promotion: 'review' });
    await admin.applyAgent(scriptedAgent({ name: 'learner', tools: [], memory: { store: 'actor-memory', load: 8 }, script: [{ tool: 'memory.write', input: { text: 'Notes go in note.md.' } }, { tool: 'memory.search', input: { query: 'notes' } }, { final: 'learned' }] }));
    const publisher = await SignalboxClient.open(connectionOf('publisher'));
    await publisher.submit('learner', { input: 'learn', sessionId: 'least-privilege-learner' });
    const events = await completedSession(admin, 'least-privilege-learner', 15_000);
    expect(events.filter((event) => event.type === 'tool.completed').map((event) => event.data.tool)).toEqual(['memory.write', 'memory.search']);
    await publisher.submit('learner', { input: 'learn again', sessionId: 'least-privilege-learner-2' });
    const again = await completedSession(admin, 'least-privilege-learner-2', 15_000);
    expect(again.find((event) => event.type === 'memory.loaded')).toMatchObject({ data: { store: 'actor-memory', version: 1, entries: [{ text: 'Notes go in note.md.' }] } });
  });

  it('lets the actor start a delegation\'s child session and hear how it ended, as its own user', async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    await admin.applyAgent(scriptedAgent({ name: 'delegating-lead', tools: [], subagents: ['scribe'], script: [{ tool: 'agents.delegate', input: { agent: 'scribe', task: 'note the milk' } }, { final: 'delegated' }] }));
    await (await SignalboxClient.open(connectionOf('publisher'))).submit('delegating-lead', { input: 'delegate', sessionId: 'least-privilege-lead' });
    const events = await completedSession(admin, 'least-privilege-lead', 20_000);
    expect(events.find((event) => event.type === 'subagent.completed')).toMatchObject({ data: { status: 'succeeded', output: 'noted' } });
  });

  it("lets the memory consolidator dream on its schedule and on demand: the log and the index read, a version promoted, its timer re-armed", async () => {
    const admin = await MemoryStore.open(connectionOf('admin'), names);
    await admin.define({ name: 'scribe-memory', agents: ['scribe'], promotion: 'auto', consolidation: { model: 'scripted/dreamer', sessions: 100, everyMs: 60_000, reads: {}, requireLocalProvider: false } });
    // A minute on by its clock is a second from now: its schedule fires while the test waits.
    const consolidator = await hostAs('consolidator', [memoryConsolidatorService({ models: dreamModels, clock: () => Date.now() - 59_000 })]);
    void recordRefusals(consolidator.nc);
    try {
      const head = await vi.waitFor(async () => {
        const promoted = await admin.head('scribe-memory');
        if (!promoted) throw new Error('no promoted version yet');
        return promoted;
      }, { timeout: 20_000, interval: 100 });
      expect(head).toMatchObject({ promoted: { by: 'consolidator:auto' }, origin: { kind: 'consolidation', jobId: expect.stringMatching(/^schedule:scribe-memory:\d+$/) }, entries: [{ text: 'The scribe keeps its notes in note.md.' }] });
      await jetstream(connectionOf('admin')).publish(names.subjects.dreamJobs, encode({ jobId: 'least-privilege-dream', store: 'scribe-memory', by: 'test' }));
      await vi.waitFor(async () => expect(await admin.run('scribe-memory', 'least-privilege-dream')).toMatchObject({ status: expect.stringMatching(/^(done|nothing-to-read)$/) }), { timeout: 20_000, interval: 100 });
      await vi.waitFor(async () => {
        const armed = await (await jetstreamManager(connectionOf('admin'))).direct.getMessage(names.streams.timers, { last_by_subj: names.subjects.dreamTimer('scribe-memory') });
        expect(armed).toBeTruthy();
      }, { timeout: 5_000, interval: 100 });
    } finally {
      await consolidator.stop();
    }
    expect(refusedToServices).toEqual([]);
  });

  it('tells the publisher a task is refused, and keeps it in the dead-letter stream', async () => {
    const jsm = await jetstreamManager(connectionOf('admin'));
    // Counted on the tasks' dead-letter subject alone: other rows' refusals (a grade for a session that
    // does not exist, say) are dead-lettered by the actor in their own time.
    const taskDeadLetters = async () => (await jsm.streams.info(names.streams.dlq, { subjects_filter: names.subjects.dlq('tasks') })).state.subjects?.[names.subjects.dlq('tasks')] ?? 0;
    const deadLetters = await taskDeadLetters();
    const publisher = await SignalboxClient.open(connectionOf('publisher'));
    await expect(publisher.submit('nobody', { input: 'x' })).resolves.toMatchObject({ status: 'rejected', error: expect.stringMatching(/unknown agent "nobody"/) });
    expect(await taskDeadLetters()).toBe(deadLetters + 1);
    expect(refusedToServices).toEqual([]);
  });
});

/** What each user must not do, and the attempt. Each is refused by the server. */
const forbidden: [Role, string, (nc: NatsConnection) => Promise<unknown>][] = [
  ['gateway', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['gateway', 'take tool jobs', (nc) => jobsConsumer(nc, 'gateway-stealer', { filter_subject: names.subjects.toolJob('workspace.read') })],
  ['gateway', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['gateway', "answer a tool call on an actor's own inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.actorInbox('least-privilege', 'actor'), encode({ type: 'tool.result' }))],
  ['gateway', "answer a tool call on the session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'tool.result' }))],
  ['gateway', 'intervene as the supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.interventions('least-privilege'), encode({ type: 'intervene' }))],
  ['gateway', 'grade as the grader', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.grades('least-privilege'), encode({ type: 'grade' }))],
  ['gateway', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['gateway', 'list the secrets', async (nc) => (await new Kvm(nc).open(names.buckets.secrets)).keys().then(async (keys) => { for await (const _key of keys) break; })],
  ['gateway', 'write the sessions index', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.sessions}.least-privilege`, '{}')],
  ['gateway', "write an eval's record", (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.evals}.forged`, '{}')],
  ['publisher', "write an eval's record", (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.evals}.forged`, '{}')],
  ['supervisor', "write an eval's record", (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.evals}.forged`, '{}')],
  ['gateway', 'change an agent', (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-agents.scribe', '{}')],
  ['gateway', 'purge the event log', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events)],
  ['gateway', "read a session's workspace", async (nc) => (await new Objm(nc).open(names.objectStores.workspace)).getBlob('least-privilege/note.md')],
  ['gateway', 'ask the permission broker for a grant', (nc) => requested(nc, names.subjects.permissionCheck)],
  ['gateway', "hear other publishers' replies", (nc) => subscribed(nc, '_INBOX.task-publisher.>')],
  ['gateway', "hear the actor's replies", (nc) => subscribed(nc, '_SBX_INBOX.session-actor.>')],
  ['gateway', "hear the models' live text", (nc) => subscribed(nc, names.subjects.allLive)],
  ['publisher', 'purge the event log', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events)],
  ['publisher', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['publisher', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['publisher', "send a command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['publisher', "read a session's workspace", async (nc) => (await new Objm(nc).open(names.objectStores.workspace)).getBlob('least-privilege/note.md')],
  ['publisher', 'read a session log', async (nc) => (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['publisher', "hear other publishers' replies", (nc) => subscribed(nc, '_INBOX.>')],
  ['publisher', "hear the runtime's replies", (nc) => subscribed(nc, '_SBX_INBOX.>')],
  ['executor', 'purge the event log', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events)],
  ['mcpExecutor', "take the jobs of a tool that is not an MCP server's", async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.jobs, { durable_name: 'mcp-stealer', filter_subject: names.subjects.toolJob('workspace.read'), ack_policy: AckPolicy.Explicit })],
  ['mcpExecutor', 'delete the durable of another tool', async (nc) => (await jetstreamManager(nc)).consumers.delete(names.streams.jobs, toolJobDurable('workspace.read'))],
  ['mcpExecutor', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('mcp.lp.echo_text'), encode({ forged: true }))],
  ['mcpExecutor', 'advertise a tool that is not an MCP server\'s', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.tools}.workspace.read`, '{}')],
  ['mcpExecutor', 'write a workspace file', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.workspaceFile('least-privilege', 'note.md'), '{}')],
  ['mcpExecutor', 'write a secret', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.secrets}.VAULT_CANARY`, '{}')],
  ['mcpExecutor', 'list the secrets', async (nc) => (await new Kvm(nc).open(names.buckets.secrets)).keys().then(async (keys) => { for await (const _key of keys) break; })],
  ['mcpExecutor', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['mcpExecutor', 'publish a task', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'x' }))],
  ['mcpExecutor', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['mcpExecutor', 'interrupt a session', (nc) => published(nc, names.subjects.interrupt('least-privilege'))],
  ['mcpExecutor', "hear the tool executor's replies", (nc) => subscribed(nc, '_SBX_INBOX.tool-executor.>')],
  ['executor', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['executor', 'publish a task', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'x' }))],
  ['executor', "hear the actor's replies", (nc) => subscribed(nc, '_SBX_INBOX.session-actor.>')],
  ['executor', "take shell.exec's jobs through the shell executor's durable", (nc) => jobsConsumer(nc, 'tool-executor-shell-exec', { filter_subject: names.subjects.toolJob('shell.exec') })],
  ['executor', "take shell.exec's jobs through a consumer of its own", (nc) => jobsConsumer(nc, 'shell-jobs', { filter_subject: names.subjects.toolJob('shell.exec') })],
  ['executor', "take shell.exec's jobs through a consumer whose filter is in its body", (nc) => jobsConsumer(nc, 'shell-jobs', { filter_subjects: [names.subjects.toolJob('shell.exec')] })],
  ['executor', 'advertise shell.exec as if it ran it', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.tools}.shell.exec`, '{}')],
  ['shell', "take another tool's jobs", (nc) => jobsConsumer(nc, 'tool-executor-workspace-read', { filter_subject: names.subjects.toolJob('workspace.read') })],
  ['shell', 'advertise another tool', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.tools}.workspace.read`, '{}')],
  ['shell', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['shell', 'publish a task', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'x' }))],
  ['shell', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['shell', "hear the tool executor's replies", (nc) => subscribed(nc, '_SBX_INBOX.tool-executor.>')],
  ['shell', 'list the secrets', async (nc) => (await new Kvm(nc).open(names.buckets.secrets)).keys().then(async (keys) => { for await (const _key of keys) break; })],
  ['actor', 'purge the event log', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events)],
  ['actor', 'delete the dead-letter stream', async (nc) => (await jetstreamManager(nc)).streams.delete(names.streams.dlq)],
  ['actor', "write into a session's workspace", async (nc) => (await new Objm(nc).open(names.objectStores.workspace)).putBlob({ name: 'least-privilege/note.md' }, new Uint8Array([1]))],
  ['actor', 'change an agent', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-agents.scribe', '{}')],
  ['actor', 'change a policy', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-policies.workspace-only', '{}')],
  ['executor', 'ask the permission broker for a grant', (nc) => requested(nc, names.subjects.permissionCheck)],
  ['publisher', 'ask the permission broker for a grant', (nc) => requested(nc, names.subjects.permissionCheck)],
  ['executor', 'answer permission checks in place of the broker', (nc) => subscribed(nc, names.subjects.permissionCheck)],
  ['executor', "answer the supervisor's gate requests in its place", (nc) => subscribed(nc, names.subjects.supervisorGate(0))],
  ['publisher', "ask the supervisor's gate about calls", (nc) => requested(nc, names.subjects.supervisorGate(0))],
  ['supervisor', 'ask the permission broker for a grant', (nc) => requested(nc, names.subjects.permissionCheck)],
  ['broker', 'change a policy', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-policies.workspace-only', '{}')],
  ['broker', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['broker', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['broker', 'read a session log', async (nc) => (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['broker', "hear the actor's replies", (nc) => subscribed(nc, '_SBX_INBOX.session-actor.>')],
  ['broker', 'publish to a subject no request of its own named', async (nc) => published(nc, names.subjects.inbox('least-privilege'))],
  ['broker', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['publisher', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['actor', 'write a secret', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.secrets}.VAULT_CANARY`, '{}')],
  ['executor', 'write a secret', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.secrets}.VAULT_CANARY`, '{}')],
  ['actor', 'list the secrets', async (nc) => (await new Kvm(nc).open(names.buckets.secrets)).keys().then(async (keys) => { for await (const _key of keys) break; })],
  ['actor', 'purge the vault', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.secrets}`)],
  ['executor', 'list the secrets', async (nc) => (await new Kvm(nc).open(names.buckets.secrets)).keys().then(async (keys) => { for await (const _key of keys) break; })],
  ['executor', 'purge the vault', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.secrets}`)],
  ['executor', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['publisher', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['executor', 'intervene in a session as its supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.interventions('least-privilege'), encode({ type: 'intervention' }))],
  ['approver', 'intervene in a session as its supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.interventions('least-privilege'), encode({ type: 'intervention' }))],
  ['publisher', 'intervene in a session as its supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.interventions('least-privilege'), encode({ type: 'intervention' }))],
  ['supervisor', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['supervisor', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['supervisor', "send any other command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['supervisor', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['supervisor', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['supervisor', 'purge the event log', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events)],
  ['supervisor', "arm or replace another service's timer (an approval's deadline)", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.timerSchedule('approval-0123'), '{}')],
  ['supervisor', 'purge the timers', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.timers)],
  ['supervisor', "take the timer forwarder's firings", async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.timers, { durable_name: 'supervisor-stalled', filter_subject: names.subjects.dueTimers })],
  ['executor', 'arm a stalled timer as the supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.stalledTimer('least-privilege'), '{}')],
  ['actor', 'arm a stalled timer as the supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.stalledTimer('least-privilege'), '{}')],
  ['approver', "send any other command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['approver', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['approver', 'read a session log', async (nc) => (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['approver', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.write'), encode({ forged: true }))],
  ['approver', 'change a policy', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-policies.ask-writes', '{}')],
  ['grader', 'read a session log', async (nc) => (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['grader', "read a session log from the stream's leader", async (nc) => (await jetstreamManager(nc)).streams.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['grader', 'follow the event log with a consumer', async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.events, { filter_subject: names.subjects.allEvents })],
  ['grader', 'follow the partitioned log as the supervisor does', async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.eventPartitions, { durable_name: 'grader-peek' })],
  ['grader', 'hear the events as they are appended', (nc) => subscribed(nc, names.subjects.allEvents)],
  ['grader', 'read a transcript chunk', async (nc) => (await jetstreamManager(nc)).direct.getMessage(`KV_${names.buckets.transcripts}`, { last_by_subj: `$KV.${names.buckets.transcripts}.least-privilege.0` })],
  ['grader', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['grader', "send any other command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['grader', 'intervene in a session as its supervisor', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.interventions('least-privilege'), encode({ type: 'intervention' }))],
  ['grader', 'approve a call a policy holds for a person', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.approvals('least-privilege'), encode({ type: 'approval.decision' }))],
  ['grader', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['grader', 'take the tool jobs', async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.jobs, { durable_name: 'grader', filter_subject: names.subjects.allToolJobs })],
  ['grader', "write into a session's workspace", async (nc) => (await new Objm(nc).open(names.objectStores.workspace)).putBlob({ name: 'least-privilege/note.md' }, new Uint8Array([1]))],
  ['grader', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['grader', 'ask the permission broker for a grant', (nc) => requested(nc, names.subjects.permissionCheck)],
  ['executor', 'grade a session as the grader', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.grades('least-privilege'), encode({ type: 'grade' }))],
  ['publisher', 'grade a session as the grader', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.grades('least-privilege'), encode({ type: 'grade' }))],
  ['supervisor', 'grade a session as the grader', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.grades('least-privilege'), encode({ type: 'grade' }))],
  ['approver', 'grade a session as the grader', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.grades('least-privilege'), encode({ type: 'grade' }))],
  ['executor', 'answer regrade requests in place of the grader', (nc) => subscribed(nc, names.subjects.regrade)],
  ['executor', 'send a conversation a message as its user', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.messages('least-privilege'), encode({ type: 'user.message' }))],
  ['executor', 'interrupt a session', (nc) => published(nc, names.subjects.interrupt('least-privilege'))],
  ['supervisor', 'send a conversation a message as its user', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.messages('least-privilege'), encode({ type: 'user.message' }))],
  ['grader', 'send a conversation a message as its user', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.messages('least-privilege'), encode({ type: 'user.message' }))],
  ['approver', 'interrupt a session', (nc) => published(nc, names.subjects.interrupt('least-privilege'))],
  ['publisher', "hear another session's interrupts", (nc) => subscribed(nc, names.subjects.allInterrupts)],
  // Only the actor that records an interrupt names the calls it cancelled: anyone else could fail a call no interrupt recorded.
  ['publisher', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['gateway', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['executor', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['mcpExecutor', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['shell', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['viewer', 'cancel calls of a session without recording an interrupt', (nc) => published(nc, names.subjects.cancelledCalls('least-privilege'))],
  ['approver', 'change the sessions index', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-sessions.least-privilege', '{}')],
  ['executor', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['broker', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['supervisor', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['grader', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['approver', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['publisher', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['viewer', "publish a session's live text as the actor", (nc) => published(nc, names.subjects.live('least-privilege'))],
  ['publisher', "hear the sessions' live text", (nc) => subscribed(nc, names.subjects.allLive)],
  ['executor', "hear the sessions' live text", (nc) => subscribed(nc, names.subjects.allLive)],
  ['grader', "hear the sessions' live text", (nc) => subscribed(nc, names.subjects.allLive)],
  ['viewer', 'hear the events as they are appended', (nc) => subscribed(nc, names.subjects.allEvents)],
  ['viewer', 'read a session log', async (nc) => (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: names.subjects.events('least-privilege') })],
  ['viewer', 'publish a task', (nc) => published(nc, names.subjects.task('scribe'))],
  ['sweeper', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['sweeper', "send a command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['sweeper', 'publish a task', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'x' }))],
  ['sweeper', 'change an agent', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-agents.scribe', '{}')],
  ['sweeper', 'purge the agents', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.agents}`)],
  ['sweeper', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['sweeper', 'purge the vault', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.secrets}`)],
  ['sweeper', 'purge the tasks', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.tasks)],
  ['sweeper', 'delete the event log', async (nc) => (await jetstreamManager(nc)).streams.delete(names.streams.events)],
  ['sweeper', 'write a reference that would keep content', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.references}.output.${'0'.repeat(64)}.x`, '')],
  ['executor', 'purge the references, and with them what keeps shared content', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.references}`)],
  ['executor', 'delete a stored tool output by message', async (nc) => (await jetstreamManager(nc)).streams.deleteMessage(`OBJ_${names.objectStores.toolOutputs}`, 1)],
  ['actor', 'purge the workspace history', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.workspace)],
  ['supervisor', 'purge the sessions index', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.sessions}`)],
  ['grader', 'purge the tool outputs', async (nc) => (await jetstreamManager(nc)).streams.purge(`OBJ_${names.objectStores.toolOutputs}`)],
  ['consolidator', 'append to a session log', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.events('least-privilege'), 'forged')],
  ['consolidator', "send a command to a session's inbox", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.inbox('least-privilege'), encode({ type: 'pause' }))],
  ['consolidator', 'publish a task', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'x' }))],
  ['consolidator', 'publish a tool job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.toolJob('workspace.read'), encode({ forged: true }))],
  ['consolidator', 'take the grade jobs', async (nc) => (await jetstreamManager(nc)).consumers.add(names.streams.jobs, { durable_name: 'memory-consolidator', filter_subject: names.subjects.gradeJobs })],
  ['executor', "start a child session as a delegation would", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.subagents('least-privilege-child'), encode({ forged: true }))],
  ['executor', "tell a lead how its child ended", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.subagents('least-privilege-lead'), encode({ forged: true }))],
  ['actor', "change a memory store's definition (who may use it, its model)", (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.memory}.scribe-memory.definition`, '{}')],
  ['consolidator', "change a memory store's definition (its model, its promotion)", (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.memory}.scribe-memory.definition`, '{}')],
  ['consolidator', 'change an agent', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-agents.scribe', '{}')],
  ['consolidator', 'change the sessions index', async (nc) => jetstream(nc, { timeout: 2_000 }).publish('$KV.sbx-sessions.least-privilege', '{}')],
  ['consolidator', "arm the supervisor's stalled timer", (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.stalledTimer('least-privilege'), encode({ forged: true }))],
  ['consolidator', 'read a sealed secret', (nc) => sealedSecret(nc)],
  ['consolidator', 'purge the memory bucket', async (nc) => (await jetstreamManager(nc)).streams.purge(`KV_${names.buckets.memory}`)],
  ['consolidator', 'delete a session as the sweeper does', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events, { filter: names.subjects.events('least-privilege') })],
  ['executor', 'write into a memory store', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.memory}.scribe-memory.head`, '{}')],
  ['grader', 'write into a memory store', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.memory}.scribe-memory.head`, '{}')],
  ['publisher', 'write into a memory store', (nc) => jetstream(nc, { timeout: 2_000 }).publish(`$KV.${names.buckets.memory}.scribe-memory.head`, '{}')],
  ['grader', 'publish a dream job', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.dreamJobs, encode({ forged: true }))],
  ['supervisor', 'arm a memory store\'s consolidation timer', (nc) => jetstream(nc, { timeout: 2_000 }).publish(names.subjects.dreamTimer('scribe-memory'), encode({ forged: true }))],
  ['approver', 'delete a session as the sweeper does', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events, { filter: names.subjects.events('least-privilege') })],
  ['publisher', 'delete a session as the sweeper does', async (nc) => (await jetstreamManager(nc)).streams.purge(names.streams.events, { filter: names.subjects.events('least-privilege') })],
];

/** A direct get of one sealed secret, as the executor reads it. */
async function sealedSecret(nc: NatsConnection): Promise<unknown> {
  return (await jetstreamManager(nc)).direct.getMessage(`KV_${names.buckets.secrets}`, { last_by_subj: `$KV.${names.buckets.secrets}.VAULT_CANARY` });
}

describe('the least-privilege matrix', () => {
  it.each(forbidden)('%s may not %s', async (role, _action, attempt) => {
    const before = await streamStates();
    await expect(attempt(connectionOf(role))).rejects.toThrow(/permission/i);
    expect(await streamStates()).toEqual(before);
  });

  it('lets the actor name the calls an interrupt cancelled, and every kind of executor hear them', async () => {
    for (const role of ['executor', 'mcpExecutor', 'shell'] as const) {
      const heard = connectionOf(role).subscribe(names.subjects.allCancelledCalls, { max: 1 });
      await connectionOf(role).flush();
      await published(connectionOf('actor'), names.subjects.cancelledCalls('least-privilege'));
      for await (const message of heard) expect(message.subject).toBe(names.subjects.cancelledCalls('least-privilege'));
    }
  });

  it('lets the executor read a sealed secret by name, as it does for a granted call', async () => {
    const nc = await connectAuthenticated(server.url, { ...users.executor, inboxPrefix: '_SBX_INBOX.tool-executor' });
    try {
      await expect((await SecretVault.open(nc, names)).open('VAULT_CANARY', { current: vaultKey })).resolves.toBe('vault-canary-value');
    } finally {
      await nc.close();
    }
  });

  it("lets the executor write a workspace file only over the revision read, and learn a conflict's current revision", async () => {
    const nc = await connectAuthenticated(server.url, { ...users.executor, inboxPrefix: '_SBX_INBOX.tool-executor' });
    try {
      const files = await WorkspaceFiles.open(nc, names);
      const write = (content: string, writeId: string) => files.writeIf([{ root: 'least-privilege-revisions' }], 'a.md', new TextEncoder().encode(content), { ifRevision: 0, writeId });
      const first = await write('mine', 'call-1/write-1');
      if (!first.written) throw new Error('a new file was not written');
      // A conflict and a second try both read the path's subject from the stream's leader.
      await expect(write('theirs', 'call-2/write-1')).resolves.toEqual({ written: false, current: first.revision });
      await expect(write('mine', 'call-1/write-1')).resolves.toEqual(first);
    } finally {
      await nc.close();
    }
  });

  it("lets the actor read a sealed secret by name, as it does for an agent's provider key", async () => {
    const nc = await connectAuthenticated(server.url, { ...users.actor, inboxPrefix: '_SBX_INBOX.session-actor' });
    try {
      const vault = await SecretVault.open(nc, names);
      await expect(vault.openWithRevision('VAULT_CANARY', { current: vaultKey })).resolves.toMatchObject({ value: 'vault-canary-value' });
      await expect(vault.revision('VAULT_CANARY')).resolves.toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });

  it("has doctor tell a publisher's user which inbox prefix to set, and that it may not read the streams", async () => {
    const asPublisher = { nats: server.url, natsUser: users.publisher.user, natsPassword: users.publisher.password, prefix: 'sbx' };
    const withoutPrefix = await doctorSays(asPublisher);
    expect(withoutPrefix.code).toBe(1);
    expect(withoutPrefix.text).toMatch(/may not hear replies under _INBOX .*SIGNALBOX_NATS_INBOX_PREFIX.*_INBOX\.<its user name>/);
    const withPrefix = await doctorSays({ ...asPublisher, natsInboxPrefix: users.publisher.inboxPrefix });
    expect(withPrefix.text).toMatch(/may not publish to \$JS\.API\.STREAM\.INFO\.SBX_EVENTS.*signalbox-admin/);
    const asAdmin = await doctorSays({ nats: server.url, natsUser: users.admin.user, natsPassword: users.admin.password, prefix: 'sbx' });
    expect(asAdmin.text).toMatch(/every sbx stream and bucket exists/);
  });

  it('lets a front end, as a task publisher, hold a conversation: a task, a message in JSON for the next turn, a close', async () => {
    const admin = await SignalboxClient.open(connectionOf('admin'));
    await admin.applyAgent(scriptedAgent({ name: 'chatty', tools: [], conversation: { idleTimeoutMs: 600_000 }, script: [{ final: 'hello' }, { final: 'noted' }] }));
    const publisher = connectionOf('publisher');
    await (await SignalboxClient.open(publisher)).submit('chatty', { input: 'hi', sessionId: 'least-privilege-chat' });
    await eventsUntil(admin, 'least-privilege-chat', (events) => events.some((event) => event.type === 'turn.completed'), 20_000);
    const json = (command: object) => ({ data: JSON.stringify({ sessionId: 'least-privilege-chat', by: 'web:ann', ...command }), headers: { 'Content-Type': 'application/json' } });
    const send = async (command: object) => {
      const { data, headers: fields } = json(command);
      const hdrs = natsHeaders();
      for (const [key, value] of Object.entries(fields)) hdrs.set(key, value);
      await jetstream(publisher, { timeout: 2_000 }).publish(names.subjects.messages('least-privilege-chat'), data, { headers: hdrs });
    };
    await send({ type: 'user.message', text: 'remember the milk' });
    await eventsUntil(admin, 'least-privilege-chat', (events) => events.filter((event) => event.type === 'turn.completed').length === 2, 20_000);
    await send({ type: 'close' });
    const events = await completedSession(admin, 'least-privilege-chat', 20_000);
    expect(events.find((event) => event.type === 'message.received')).toMatchObject({ data: { text: 'remember the milk', by: 'web:ann' } });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'noted', closedBy: 'web:ann' } });
    expect(refusedToServices).toEqual([]);
  });

  it('lets the services stop as they do (the actor hands its results over) without a refusal', async () => {
    await Promise.all(hosts.splice(0).map((host) => host.stop()));
    expect(refusedToServices).toEqual([]);
  });
});

/** Makes a durable on the jobs stream, as an executor takes a tool's jobs. */
async function jobsConsumer(nc: NatsConnection, durable: string, filter: { filter_subject: string } | { filter_subjects: string[] }): Promise<unknown> {
  return (await jetstreamManager(nc)).consumers.add(names.streams.jobs, { durable_name: durable, ack_policy: AckPolicy.Explicit, ...filter });
}

/** Resolves once the server has taken the subscription; rejects with the server's refusal. */
async function subscribed(nc: NatsConnection, subject: string): Promise<void> {
  const subscription = nc.subscribe(subject);
  const refused = subscription.closed.then((error) => {
    throw error ?? new Error(`the subscription to ${subject} closed`);
  });
  await Promise.race([refused, nc.flush().then(() => new Promise((resolve) => setTimeout(resolve, 200)))]);
  subscription.unsubscribe();
}

/** Resolves once a request to `subject` was sent and answered; rejects with the server's refusal of the publish. */
async function requested(nc: NatsConnection, subject: string): Promise<void> {
  await Promise.race([nc.request(subject, encode({}), { timeout: 2_000 }), refusalOf(nc, subject)]);
}

/** Resolves once a core publish to `subject` has reached the server unrefused; rejects with its refusal. */
async function published(nc: NatsConnection, subject: string): Promise<void> {
  nc.publish(subject, encode({ type: 'pause' }));
  await Promise.race([refusalOf(nc, subject), nc.flush().then(() => new Promise((resolve) => setTimeout(resolve, 200)))]);
}

/** Rejects when the server reports a permissions violation for `subject` on this connection. */
async function refusalOf(nc: NatsConnection, subject: string): Promise<never> {
  for await (const status of nc.status()) {
    if (status.type === 'error' && String(status.error).includes(subject)) throw status.error;
  }
  throw new Error('the connection closed');
}

/** The streams an attack in the matrix would change: message count and last sequence of each, as the admin sees them. */
async function streamStates(): Promise<Record<string, { messages: number; last: number }>> {
  const jsm = await jetstreamManager(connectionOf('admin'));
  const { events, tasks, inbox, jobs, dlq } = names.streams;
  const watched = [
    events, tasks, inbox, jobs, dlq, names.streams.workspace,
    `OBJ_${names.objectStores.workspace}`, `OBJ_${names.objectStores.toolOutputs}`,
    `KV_${names.buckets.agents}`, `KV_${names.buckets.secrets}`, `KV_${names.buckets.sessions}`, `KV_${names.buckets.references}`,
    `KV_${names.buckets.memory}`,
  ];
  const states: Record<string, { messages: number; last: number }> = {};
  for (const stream of watched) {
    const { state } = await jsm.streams.info(stream);
    states[stream] = { messages: state.messages, last: state.last_seq };
  }
  return states;
}

async function doctorSays(options: Parameters<typeof doctor>[0]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await doctor(options, {}, { write: (line) => lines.push(line), colour: false });
  return { code, text: lines.join('\n') };
}
