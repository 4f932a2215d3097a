import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { SignalboxClient } from '@signalbox/client';
import { naming, type SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, sendToSession, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil } from '../support/runtime.ts';

/**
 * Fail closed: while no permission broker answers, no tool call runs. The calls wait up to the
 * check's deadline; a broker back within it grants them and they run once; past it they are denied.
 */
const checkTimeoutMs = 20_000;
const names = naming('sbx');

/** Every real execution of the side-effecting tool, by idempotency key. */
const executions: string[] = [];
const record = defineTool({
  name: 'ledger.record',
  description: 'Records that it ran',
  input: z.object({ note: z.string() }),
  idempotent: false,
  run: ({ note }, context) => (executions.push(context.idempotencyKey), `recorded ${note}`),
});
/** Answers when the test opens it, so the brokers can be stopped while a session is mid-run. */
const waitingGates: (() => void)[] = [];
const gate = defineTool({ name: 'gate.wait', description: 'Waits for the test', input: z.object({}), run: () => new Promise<string>((resolve) => waitingGates.push(() => resolve('opened'))) });
/** Opens the gate a call waits at, once the executor has started that call (a busy machine may be slower than the test). */
async function openGate(): Promise<void> {
  while (waitingGates.length === 0) await sleep(20);
  waitingGates.shift()?.();
}

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let hosts: Host[] = [];
let brokers: Host[] = [];

const configOf = (instance: string) => RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance });
const startBrokers = async () => (brokers = await Promise.all(['broker-1', 'broker-2'].map((instance) => startHost([permissionBrokerService()], configOf(instance)))));
const stopBrokers = async () => {
  await Promise.all(brokers.map((broker) => broker.stop()));
  brokers = [];
};
const typesOf = (events: readonly SessionEvent[]) => events.map((event) => event.type);

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  hosts = [
    await startHost([toolExecutorService({ tools: [record, gate] })], configOf('executor')),
    await startHost([sessionActorService({ permissionCheckTimeoutMs: checkTimeoutMs })], configOf('actor')),
    // A second installation on the same server (prefix `quick`) with no broker at all, whose actor waits 1.5 s.
    await startHost([sessionActorService({ permissionCheckTimeoutMs: 1_500 }), toolExecutorService({ tools: [record] })], { ...configOf('quick'), prefix: 'quick' }),
  ];
  const script = [{ tool: 'gate.wait', input: {} }, { tool: 'ledger.record', input: { note: 'after the gate' } }, { final: 'done' }];
  await client.applyAgent({ name: 'recorder', model: 'scripted', tools: ['gate.wait', 'ledger.record'], script });
});
afterAll(async () => {
  await nc.close();
  await Promise.all([...hosts, ...brokers].map((host) => host.stop()));
  await server.dispose();
});

describe('with no permission broker answering', () => {
  it('runs no call while every broker is stopped mid-run, and runs the waiting call once when they come back within the deadline', async () => {
    await startBrokers();
    await client.submit('recorder', { input: 'go', sessionId: 'mid-run' });
    await eventsUntil(client, 'mid-run', (events) => typesOf(events).includes('permission.granted'));
    await stopBrokers();
    await openGate();
    // The next call is decided but not requested: it waits for a verdict, and nothing runs.
    const waiting = await eventsUntil(client, 'mid-run', (events) => events.filter((event) => event.type === 'model.responded').length === 2);
    await sleep(1_500);
    const meanwhile = await client.events('mid-run');
    expect(meanwhile).toHaveLength(waiting.length);
    expect(typesOf(meanwhile).filter((type) => type === 'tool.requested')).toHaveLength(1);
    expect(executions).toEqual([]);

    await startBrokers();
    const events = await completedSession(client, 'mid-run', checkTimeoutMs);
    const recorded = events.filter((event) => event.type === 'tool.requested' && event.data.tool === 'ledger.record');
    expect(recorded).toHaveLength(1);
    expect(events.filter((event) => event.type === 'permission.granted')).toHaveLength(2);
    expect(executions).toEqual(['mid-run/call_2']);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
  });

  it('denies the waiting calls once the deadline has passed, with that reason, and the session goes on', async () => {
    const quickClient = await SignalboxClient.open(nc, 'quick');
    await quickClient.applyAgent({ name: 'recorder', model: 'scripted', tools: ['ledger.record'], script: [{ tool: 'ledger.record', input: { note: 'never' } }, { final: 'could not' }] });
    await quickClient.submit('recorder', { input: 'go', sessionId: 'no-broker' });
    const events = await completedSession(quickClient, 'no-broker', 15_000);
    expect(typesOf(events)).toContain('permission.denied');
    const denied = events.find((event) => event.type === 'permission.denied');
    expect(denied?.data).toMatchObject({ effect: 'deny', reason: 'no permission broker answered within 1.5 s, and a call no broker has allowed does not run' });
    expect(events.find((event) => event.type === 'tool.failed')?.data).toMatchObject({ error: expect.stringContaining('permission denied: no permission broker answered') });
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'could not' } });
    expect(executions.filter((key) => key.startsWith('no-broker'))).toEqual([]);
  });
});

describe('a call dispatched again', () => {
  it('goes with its recorded grant while that holds, and asks the broker again once half its time is gone', async () => {
    await stopBrokers();
    // A broker whose grants are 8 of their 10 minutes old when issued (its clock lags): past half their time.
    const seed = new TextDecoder().decode(createUser().getSeed());
    const lagging = await startHost([permissionBrokerService({ clock: () => Date.now() - 8 * 60_000 })], { ...configOf('lagging-broker'), permissionBroker: { nkeySeed: seed, grantTtlMs: 600_000 } });
    brokers.push(lagging);
    await client.applyAgent({ name: 'waiter', model: 'scripted', tools: ['gate.wait'], script: [{ tool: 'gate.wait', input: {} }, { final: 'through' }] });
    await client.submit('waiter', { input: 'go', sessionId: 'renewal' });
    await eventsUntil(client, 'renewal', (events) => typesOf(events).includes('permission.granted'));
    // The first dispatch uses the grant just given, however old it looks: asking again would get another like it.
    // A stray result makes the actor dispatch the waiting call again: now it asks first, and records the new verdict.
    const stray = { type: 'tool.result', sessionId: 'renewal', callId: 'never-made', tool: 'gate.wait', outcome: { status: 'completed', output: 'x' }, durationMs: 1 } as const;
    await sendToSession(nc, names, 'renewal', stray);
    const renewed = await eventsUntil(client, 'renewal', (events) => typesOf(events).filter((type) => type === 'permission.granted').length === 2);
    const [first, second] = renewed.filter((event) => event.type === 'permission.granted');
    expect(first?.data).toMatchObject({ callId: 'call_1' });
    expect(second?.data).toMatchObject({ callId: 'call_1', grant: { callId: 'call_1' } });
    await openGate();
    const events = await completedSession(client, 'renewal', 10_000);
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(1);

    // With a broker on time, a stray result records nothing: the call goes again with the grant it has.
    await stopBrokers();
    brokers.push(await startHost([permissionBrokerService()], { ...configOf('broker'), permissionBroker: { nkeySeed: seed, grantTtlMs: 600_000 } }));
    await client.submit('waiter', { input: 'go', sessionId: 'no-renewal' });
    const granted = await eventsUntil(client, 'no-renewal', (events) => typesOf(events).includes('permission.granted'));
    await sendToSession(nc, names, 'no-renewal', { ...stray, sessionId: 'no-renewal' });
    await sleep(1_000);
    expect(await client.events('no-renewal')).toHaveLength(granted.length);
    await openGate();
    await completedSession(client, 'no-renewal', 10_000);
  });
});
