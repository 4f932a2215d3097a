import { createUser } from '@nats-io/nkeys';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { jetstream } from '@nats-io/jetstream';
import { decodeEventMessage, naming, type SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { InProcessPermissions, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, scriptedAgent, signedGrantsConfig, succeededSession } from '../support/runtime.ts';

/**
 * A permission broker sharing its process with a session actor answers the actor's checks there: no
 * request on the check subject, the same verdicts recorded, grants the executor (over NATS) accepts.
 */
const names = naming('sbx');
const broker = createUser();
let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let hosts: Host[] = [];
/** Every request on the check subject, whoever answers it. */
let requests = 0;
let spy: Subscription;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  spy = nc.subscribe(names.subjects.permissionCheck, { callback: () => void (requests += 1) });
  await nc.flush();
});
afterEach(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  hosts = [];
});
afterAll(async () => {
  spy?.unsubscribe();
  await nc?.close();
  await server?.dispose();
});

/** The actor and a broker in one host, sharing `permissions`; the executor in a host of its own. */
async function startRuntime(permissions: InProcessPermissions): Promise<void> {
  const config = signedGrantsConfig(server.url, 'checks-here', broker);
  hosts.push(await startHost([sessionActorService({ inProcessPermissions: permissions }), permissionBrokerService({ inProcess: permissions })], config));
  hosts.push(await startHost([toolExecutorService({ tools: workspaceTools })], { ...config, instance: 'executor' }));
  client ??= await SignalboxClient.open(nc);
}

/** The session's events as they were appended: one list per message of the events stream. */
async function appendsOf(sessionId: string): Promise<SessionEvent['type'][][]> {
  const consumer = await jetstream(nc).consumers.get(names.streams.events, { filter_subjects: [names.subjects.events(sessionId)] });
  const appends: SessionEvent['type'][][] = [];
  for (;;) {
    const message = await consumer.next({ expires: 1_000 });
    if (!message) return appends;
    appends.push(decodeEventMessage(message.data).map((event) => event.type));
  }
}

async function requestsDuring(run: () => Promise<void>): Promise<number> {
  await nc.flush();
  const before = requests;
  await run();
  await nc.flush();
  return requests - before;
}

describe("permission checks answered in the session actor's process", () => {
  it('records the broker verdicts and signed grants with no request on the check subject, and the executor accepts them', async () => {
    await startRuntime(new InProcessPermissions());
    await client.applyAgent(scriptedAgent());
    let events: Awaited<ReturnType<typeof succeededSession>> = [];
    const sent = await requestsDuring(async () => {
      await client.submit('scribe', { input: 'note it', sessionId: 'checks-here-1' });
      events = await succeededSession(client, 'checks-here-1', 10_000);
    });
    expect(sent).toBe(0);
    const granted = events.filter((event) => event.type === 'permission.granted').map((event) => event.data);
    expect(granted).toEqual([
      expect.objectContaining({ tool: 'workspace.write', grant: expect.objectContaining({ signer: broker.getPublicKey() }) }),
      expect.objectContaining({ tool: 'workspace.read', grant: expect.objectContaining({ signer: broker.getPublicKey() }) }),
    ]);
    expect(events.find((event) => event.type === 'tool.completed' && event.data.tool === 'workspace.read')?.data).toMatchObject({ output: expect.stringContaining('remember the milk') });
    expect((await client.check('checks-here-1')).ok).toBe(true);
    // The model's reply (with its call) and the call's verdict in one append, not two.
    const appends = await appendsOf('checks-here-1');
    expect(appends.filter((types) => types.includes('model.responded') && types.includes('tool.requested'))).toEqual([
      ['model.responded', 'tool.requested', 'permission.granted'],
      ['model.responded', 'tool.requested', 'permission.granted'],
    ]);
    expect(appends.filter((types) => types.includes('permission.granted') && !types.includes('model.responded'))).toEqual([]);
  });

  it('denies in the process as over NATS: a call the policy refuses is recorded denied, with its rule, and never runs', async () => {
    await startRuntime(new InProcessPermissions());
    await client.applyPolicy({ name: 'read-only', rules: [{ effect: 'allow', tool: 'workspace.read' }], default: 'deny' });
    await client.applyAgent(scriptedAgent({ name: 'reader', policy: 'read-only' }));
    let events: Awaited<ReturnType<typeof eventsUntil>> = [];
    const sent = await requestsDuring(async () => {
      await client.submit('reader', { input: 'note it', sessionId: 'checks-here-denied' });
      events = await eventsUntil(client, 'checks-here-denied', (seen) => seen.some((event) => event.type === 'session.completed'));
    });
    expect(sent).toBe(0);
    expect(events.find((event) => event.type === 'permission.denied')?.data).toMatchObject({ tool: 'workspace.write', effect: 'deny', policy: 'read-only' });
    expect(events.some((event) => event.type === 'tool.completed' && event.data.tool === 'workspace.write')).toBe(false);
  });

  it('holds a call the policy leaves to a person in the same append as the reply, and runs it once approved', async () => {
    await startRuntime(new InProcessPermissions());
    await client.applyPolicy({ name: 'ask-writes', rules: [{ effect: 'ask', tool: 'workspace.write' }, { effect: 'allow', tool: 'workspace.read' }] });
    await client.applyAgent(scriptedAgent({ name: 'asker', policy: 'ask-writes' }));
    await client.submit('asker', { input: 'note it', sessionId: 'checks-here-ask' });
    const held = await eventsUntil(client, 'checks-here-ask', (seen) => seen.some((event) => event.type === 'approval.requested'));
    const requested = held.find((event) => event.type === 'approval.requested');
    await expect.poll(async () => (await client.approvals()).map((approval) => approval.approvalId)).toContain(requested?.type === 'approval.requested' ? requested.data.approvalId : '');
    await client.approve(requested?.type === 'approval.requested' ? requested.data.approvalId : '', { by: 'test:ann' });
    const events = await succeededSession(client, 'checks-here-ask', 10_000);
    expect(events.find((event) => event.type === 'tool.completed' && event.data.tool === 'workspace.write')).toBeDefined();
    expect((await appendsOf('checks-here-ask')).find((types) => types.includes('approval.requested'))).toEqual(['model.responded', 'tool.requested', 'approval.requested']);
    expect((await client.check('checks-here-ask')).ok).toBe(true);
  });

  it('asks over NATS once the broker of its process has stopped, and the session goes on', async () => {
    const permissions = new InProcessPermissions();
    const config = signedGrantsConfig(server.url, 'checks-here', broker);
    hosts.push(await startHost([sessionActorService({ inProcessPermissions: permissions })], config));
    const brokerHere = await startHost([permissionBrokerService({ inProcess: permissions })], { ...config, instance: 'broker-here' });
    hosts.push(await startHost([permissionBrokerService()], { ...config, instance: 'broker-elsewhere' }));
    hosts.push(await startHost([toolExecutorService({ tools: workspaceTools })], { ...config, instance: 'executor' }));
    client ??= await SignalboxClient.open(nc);
    await client.applyAgent(scriptedAgent());
    const here = await requestsDuring(async () => {
      await client.submit('scribe', { input: 'note it', sessionId: 'checks-before-stop' });
      await succeededSession(client, 'checks-before-stop', 10_000);
    });
    expect(here).toBe(0);
    await brokerHere.stop();
    const overNats = await requestsDuring(async () => {
      await client.submit('scribe', { input: 'note it', sessionId: 'checks-after-stop' });
      await succeededSession(client, 'checks-after-stop', 10_000);
    });
    expect(overNats).toBe(2);
  });
});
