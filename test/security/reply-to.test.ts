import { headers, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming, replyToHeader } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedAgent, succeededSession } from '../support/runtime.ts';
import { busState, changedStreams, startCapturedHost, subjectCounts, type CapturedLogs } from './bus-state.ts';

const names = naming('sbx');
const victim = 'victim-1';

/** Subjects a task publisher aims the runtime's reply at: the runtime may publish there, the publisher may not. */
const targets = [
  '$JS.API.STREAM.PURGE.SBX_EVENTS',
  '$JS.API.STREAM.DELETE.SBX_DLQ',
  '$KV.sbx-agents.x',
  names.subjects.events(victim),
  names.subjects.inbox(victim),
  'sbx.dlq.x',
];

/** What the tasks themselves write: their logs, their tool calls and results, the workspace (and who refers to its contents), the index. */
const writtenByTasks = [
  'SBX_EVENTS', 'SBX_TASKS', 'SBX_INBOX', 'SBX_JOBS',
  'KV_sbx-sessions', 'KV_sbx-snapshots', 'KV_sbx-transcripts', 'KV_sbx-tool-ledger', 'OBJ_sbx-workspace', 'SBX_WORKSPACE', 'KV_sbx-references',
];

let server: NatsServer;
let hostNc: NatsConnection;
let nc: NatsConnection;
let client: SignalboxClient;
let host: { stop(): Promise<void> };
const logs: CapturedLogs = { lines: [] };

beforeAll(async () => {
  server = await startNatsServer();
  hostNc = await connect({ servers: server.url });
  host = await startCapturedHost(hostNc, [sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools })], logs);
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  await client.applyAgent(scriptedAgent());
});
afterAll(async () => {
  await nc.close();
  await host.stop();
  await hostNc.close();
  await server.dispose();
});

/** Publishes a task durably with `Sbx-Reply-To: replyTo`. */
async function publishTask(sessionId: string, replyTo: string): Promise<void> {
  const hdrs = headers();
  hdrs.set(replyToHeader, replyTo);
  hdrs.set('Content-Type', 'application/json');
  await jetstream(nc).publish(names.subjects.task('scribe'), JSON.stringify({ input: 'take a note', sessionId }), { headers: hdrs });
}

/** Everything published on `subject` while the test runs. */
function overhear(subject: string): { subject: string; heard: string[]; subscription: Subscription } {
  const heard: string[] = [];
  const subscription = nc.subscribe(subject, { callback: (_error, message) => void heard.push(message.string()) });
  return { subject, heard, subscription };
}

describe('a task aiming its reply outside _INBOX.>', () => {
  it('is handled without a reply there: nothing in any stream or bucket changes beyond what the tasks do, and each refusal is logged once', async () => {
    expect((await client.submit('scribe', { input: 'the victim', sessionId: victim })).status).toBe('accepted');
    const victimLog = await succeededSession(client, victim, 10_000);
    const before = await busState(nc);
    const logsBefore = await subjectCounts(nc, names.streams.events, names.subjects.allEvents);
    const listeners = targets.map(overhear);
    await nc.flush();

    const aimed = targets.map((_target, index) => `aimed-${index}`);
    for (const [index, target] of targets.entries()) await publishTask(aimed[index] ?? '', target);
    const runs = await Promise.all(aimed.map((sessionId) => succeededSession(client, sessionId, 15_000)));
    await nc.flush();

    expect(listeners.filter(({ heard }) => heard.length > 0).map(({ subject, heard }) => ({ subject, heard }))).toEqual([]);
    const after = await busState(nc);
    expect(changedStreams(before, after, writtenByTasks)).toEqual([]);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    // The log holds what it held, and the aimed sessions' logs besides; nothing was purged or appended to the victim.
    expect(runs.every((events) => events.length > 0)).toBe(true);
    const logsAfter = await subjectCounts(nc, names.streams.events, names.subjects.allEvents);
    const newLogs = Object.fromEntries(Object.entries(logsAfter).filter(([subject]) => !(subject in logsBefore)));
    expect({ ...logsAfter, ...logsBefore }).toEqual(logsAfter);
    expect(Object.keys(newLogs).sort()).toEqual(aimed.map((sessionId) => names.subjects.events(sessionId)).sort());
    expect(after.get(names.streams.events)?.firstSeq).toBe(before.get(names.streams.events)?.firstSeq);
    expect(await client.events(victim)).toEqual(victimLog);

    const refusals = logs.lines.filter((line) => String(line['msg']).startsWith('Sbx-Reply-To'));
    expect(refusals.map((line) => line['sessionId']).sort()).toEqual([...aimed].sort());
    const messages = refusals.map((line) => String(line['msg']));
    for (const target of targets) expect(messages.filter((message) => message.includes(JSON.stringify(target)))).toHaveLength(1);
    for (const { subscription } of listeners) subscription.unsubscribe();
  });

  it.each([['_INBOX.>'], ['_INBOX.*'], ['_INBOX..x'], ['not a subject']])('ignores the wildcard or invalid %j and still runs the task', async (replyTo) => {
    const sessionId = `invalid-${replyTo.replace(/[^A-Za-z]/g, '')}-${replyTo.length}`;
    await publishTask(sessionId, replyTo);
    await succeededSession(client, sessionId, 10_000);
  });
});
