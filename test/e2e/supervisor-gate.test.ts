import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { decode, encode, SupervisorGateReply, type SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { checkHistory } from '@signalbox/session';
import { sessionActorService } from '@signalbox/session-actor';
import { defaultEventPartitions, partitionOfSession } from '@signalbox/store';
import { supervisorService } from '@signalbox/supervisor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil } from '../support/runtime.ts';

/**
 * The supervisor's synchronous gate, end to end: an agent with `supervision.gate` has each reply's
 * tool calls put to the supervisor replica that follows its session, after the permission broker,
 * and a call that would complete a loop never runs. Without a supervisor, the agent's fail-open or
 * fail-closed choice decides, and says so in the log.
 */
const ran = new Map<string, number>();
const lookup = defineTool({
  name: 'docs.lookup',
  description: 'Looks a term up',
  input: z.object({ term: z.string() }),
  run: ({ term }, context) => (ran.set(context.sessionId, (ran.get(context.sessionId) ?? 0) + 1), Promise.resolve(`no entry for ${term}`)),
});
const deploy = defineTool({ name: 'deploy.run', description: 'Deploys', input: z.object({ build: z.number() }), run: ({ build }) => Promise.reject(new Error(`build ${build}: the registry refused the connection`)) });
const loop = (times: number) => Array.from({ length: times }, () => ({ tool: 'docs.lookup', input: { term: 'flaky' } }));
const tools = ['docs.lookup', 'deploy.run', ...workspaceTools.map((tool) => tool.name)];

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
const hosts: Host[] = [];

async function runtime(withSupervisor: boolean, instance: string): Promise<void> {
  const services = [sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [...workspaceTools, lookup, deploy] }), ...(withSupervisor ? [supervisorService()] : [])];
  hosts.push(await startHost(services, RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance })));
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  for (const host of hosts.reverse()) await host.stop();
  await server?.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

describe("the supervisor's gate, with no supervisor running", () => {
  beforeAll(async () => {
    await runtime(false, 'no-supervisor');
    client = await SignalboxClient.open(nc);
    await client.applyAgent({ name: 'closed-gate', model: 'scripted', tools, supervision: { gate: { timeoutMs: 200, onNoAnswer: 'closed' } }, script: [...loop(2), { final: 'done' }] });
    await client.applyAgent({ name: 'open-gate', model: 'scripted', tools, supervision: { gate: { timeoutMs: 200 } }, script: [...loop(2), { final: 'done' }] });
  });

  it('fails closed: every call is answered as blocked, unanswered, and none runs; the session goes on to its end', async () => {
    await client.submit('closed-gate', { input: 'look it up', sessionId: 'closed-gate-1' });
    const events = await completedSession(client, 'closed-gate-1', 15_000);
    expect(ofType(events, 'supervisor.gated').map((event) => event.data)).toEqual([
      expect.objectContaining({ verdict: 'block', unanswered: true }),
      expect.objectContaining({ verdict: 'block', unanswered: true }),
    ]);
    expect(ofType(events, 'tool.failed')[0]?.data.error).toMatch(/^blocked by the supervisor's gate: no supervisor answered within 200 ms/);
    expect(ran.get('closed-gate-1')).toBeUndefined();
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
    expect(checkHistory(events)).toMatchObject({ ok: true });
  });

  it('fails open: the calls run, each verdict marked unanswered', async () => {
    await client.submit('open-gate', { input: 'look it up', sessionId: 'open-gate-1' });
    const events = await completedSession(client, 'open-gate-1', 15_000);
    expect(ofType(events, 'supervisor.gated').map((event) => [event.data.verdict, event.data.unanswered])).toEqual([['proceed', true], ['proceed', true]]);
    expect(ran.get('open-gate-1')).toBe(2);
  });
});

describe("the supervisor's gate, with the supervisor", () => {
  beforeAll(async () => {
    await runtime(true, 'supervised');
    await client.applyAgent({ name: 'gated-looper', model: 'scripted', tools, supervision: { gate: true }, budget: { maxSteps: 20 }, script: [...loop(8), { final: 'done' }] });
    await client.applyAgent({
      name: 'gated-healthy',
      model: 'scripted',
      tools,
      supervision: { gate: true },
      script: [{ tool: 'workspace.write', input: { path: 'a.md', content: 'one' } }, { tool: 'workspace.read', input: { path: 'a.md' } }, { tool: 'docs.lookup', input: { term: 'a' } }, { final: 'done' }],
    });
  });

  it('blocks the call that would complete a loop before it runs, then pauses the session when the loop goes on (the ladder)', async () => {
    await client.submit('gated-looper', { input: 'look it up', sessionId: 'gated-looper-1' });
    const events = await eventsUntil(client, 'gated-looper-1', (seen) => seen.some((event) => event.type === 'session.paused'), 20_000);
    const verdicts = ofType(events, 'supervisor.gated').map((event) => event.data.verdict);
    expect(verdicts).toEqual(['proceed', 'proceed', 'block', 'proceed', 'proceed', 'pause']);
    const blocked = ofType(events, 'supervisor.gated')[2]?.data;
    expect(blocked).toMatchObject({ detector: 'repetition', evidence: [ofType(events, 'tool.requested')[0]?.n, ofType(events, 'tool.requested')[1]?.n] });
    expect(ofType(events, 'session.paused').at(-1)?.data).toMatchObject({ by: 'supervisor:repetition' });
    // Four lookups ran: the blocked and the paused call never reached the executor.
    expect(ran.get('gated-looper-1')).toBe(4);
    expect(checkHistory(events)).toMatchObject({ ok: true });
    // A finding the gate acted on is not sent again as an intervention.
    const identities = [...ofType(events, 'supervisor.intervened'), ...ofType(events, 'supervisor.gated')].flatMap((event) => (event.data.evidence ? [`${event.data.detector}/${event.data.evidence[0]}`] : []));
    expect(new Set(identities).size).toBe(identities.length);
  });

  it('a person who resumes runs the paused call; a healthy run passes the gate untouched', async () => {
    await client.resume('gated-looper-1', { by: 'ops' });
    const resumed = await completedSession(client, 'gated-looper-1', 15_000);
    // The paused call ran, then the two left of the script: the detector began afresh at the pause.
    expect(ofType(resumed, 'supervisor.gated').map((event) => event.data.verdict).slice(6)).toEqual(['proceed', 'proceed']);
    expect(ran.get('gated-looper-1')).toBe(7);
    await client.submit('gated-healthy', { input: 'go', sessionId: 'gated-healthy-1' });
    const events = await completedSession(client, 'gated-healthy-1', 15_000);
    expect(ofType(events, 'supervisor.gated').map((event) => event.data)).toEqual([
      { callId: expect.any(String), tool: 'workspace.write', verdict: 'proceed' },
      { callId: expect.any(String), tool: 'workspace.read', verdict: 'proceed' },
      { callId: expect.any(String), tool: 'docs.lookup', verdict: 'proceed' },
    ]);
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
  });

  it('with modelCalls, pauses before the model call that would follow a spiral, on the finding the supervisor is sending', async () => {
    const deploys = Array.from({ length: 6 }, (_, build) => ({ tool: 'deploy.run', input: { build } }));
    await client.applyAgent({ name: 'gated-spiral', model: 'scripted', tools, supervision: { gate: { modelCalls: true }, ladder: ['pause'] }, script: [...deploys, { final: 'gave up' }] });
    await client.submit('gated-spiral', { input: 'deploy it', sessionId: 'gated-spiral-1' });
    const events = await eventsUntil(client, 'gated-spiral-1', (seen) => seen.some((event) => event.type === 'session.paused'), 20_000);
    const failures = ofType(events, 'tool.failed').map((event) => event.n);
    // The third failure's turn asks for the model; the gate pauses it before it is called.
    expect(ofType(events, 'model.responded')).toHaveLength(3);
    expect(events.at(-2)).toMatchObject({ type: 'supervisor.gated', data: { verdict: 'pause', detector: 'error_spiral', evidence: failures } });
    expect(events.at(-2)?.data).not.toHaveProperty('tool');
    expect(events.at(-1)).toMatchObject({ type: 'session.paused', data: { by: 'supervisor:error_spiral' } });
    expect(checkHistory(events)).toMatchObject({ ok: true });
    // The intervention sent for the same finding lands after, and records nothing.
    await sleep(500);
    const after = await client.events('gated-spiral-1');
    expect(after).toHaveLength(events.length);
    expect(ofType(after, 'supervisor.intervened')).toEqual([]);
  });

  it('refuses a request it cannot read, with the reason, and stays silent about a session it has not seen', async () => {
    const subject = client.names.subjects.supervisorGate(0);
    await vi.waitFor(async () => {
      const reply = decode(SupervisorGateReply, (await nc.request(subject, encode({ sessionId: '../etc', head: -1, calls: [] }), { timeout: 1_000 })).data, 'reply');
      expect(reply).toMatchObject({ error: expect.stringMatching(/supervisor gate request/) });
    }, { timeout: 15_000 });
    const unseen = nc.request(client.names.subjects.supervisorGate(partitionOfSession('never-ran', defaultEventPartitions)), encode({ sessionId: 'never-ran', head: 3, calls: [{ callId: 'c1', tool: 'docs.lookup' }] }), { timeout: 300 });
    await expect(unseen).rejects.toThrow();
    await sleep(0);
  });

  it("routes by the partition the server's subject transform gives the session (FNV-1a of its id)", async () => {
    const jsm = await jetstreamManager(nc);
    const sessions = ['gated-looper-1', 'gated-healthy-1'];
    await vi.waitFor(async () => {
      for (const sessionId of sessions) {
        const partition = partitionOfSession(sessionId, defaultEventPartitions);
        const stored = await jsm.streams.getMessage(client.names.streams.eventPartitions, { last_by_subj: `${client.names.prefix}.partitioned.${partition}.${sessionId}` });
        expect(stored?.subject).toBe(`${client.names.prefix}.partitioned.${partition}.${sessionId}`);
      }
    }, { timeout: 15_000 });
  });
});
