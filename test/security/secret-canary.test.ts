import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { vaultKeyOf } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, httpFetchTool, toolExecutorService } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { completedSession } from '../support/runtime.ts';
import { everyStoredMessage, startCapturedHost, type CapturedLogs } from './bus-state.ts';

/**
 * The vault's promise, checked end to end: sessions use a secret (a tool echoes it back; http.fetch
 * sends it in a header to a server that echoes headers), and then every message of every stream
 * (events, jobs, inboxes, dead letters, every KV bucket and object store, the sealed vault itself)
 * and every log line, and every live message, is searched for the value, as it is and base64- or URL-encoded. None holds it.
 */
const canary = `sbx-canary/${randomBytes(9).toString('base64url')}+=`;
const forms = [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('base64url'), encodeURIComponent(canary), Buffer.from(canary).toString('base64').replace(/=+$/, '')];
const vaultKey = vaultKeyOf(randomBytes(32));
const broker = createUser();

const echo = defineTool({
  name: 'secret.echo',
  description: 'Echoes its token back, in every form a careless tool might',
  input: z.object({}),
  secrets: ['CANARY_TOKEN'],
  run: (_, { secrets, logger }) => {
    const value = secrets['CANARY_TOKEN'] ?? '';
    // A careless tool logs what it uses: the executor masks its log lines too.
    logger.warn({ token: value, header: `Bearer ${value}` }, `using ${value}`);
    return { plain: value, base64: Buffer.from(value).toString('base64'), basic: Buffer.from(`user:${value}`).toString('base64'), url: `https://x.test/?t=${encodeURIComponent(value)}` };
  },
});
const thrower = defineTool({
  name: 'secret.throw',
  description: 'Fails with its token in the error',
  input: z.object({}),
  secrets: ['CANARY_TOKEN'],
  run: (_, { secrets }) => {
    throw new Error(`upstream refused ${secrets['CANARY_TOKEN'] ?? ''}`);
  },
});

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let headerEcho: Server;
let echoUrl: string;
const receivedAuthorization: string[] = [];
const logs: CapturedLogs = { lines: [] };
/** Every live message of every session (core NATS, kept by no stream): searched for the secret too. */
const liveHeard: string[] = [];
const hosts: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  headerEcho = createServer((request, response) => {
    receivedAuthorization.push(String(request.headers.authorization));
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ youSent: request.headers }));
  });
  await new Promise<void>((resolve) => headerEcho.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(headerEcho.address() as AddressInfo).port}/echo`;

  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  nc.subscribe('sbx.live.*', { callback: (_error, message) => void liveHeard.push(message.string()) });
  const settings = {
    logLevel: 'debug',
    sessionActor: { snapshotEvery: 2 },
    permissionBroker: { nkeySeed: new TextDecoder().decode(broker.getSeed()) },
    toolExecutor: { grantSigners: [broker.getPublicKey()] },
  };
  const fetchTool = httpFetchTool({ allowPrivate: ({ address }) => address === '127.0.0.1' });
  hosts.push(await startCapturedHost(nc, [toolExecutorService({ tools: [echo, thrower, fetchTool], vaultKeys: { current: vaultKey } })], logs, settings));
  hosts.push(await startCapturedHost(nc, [sessionActorService(), permissionBrokerService()], logs, settings));
  client = await SignalboxClient.open(nc);
  await client.setSecret('CANARY_TOKEN', canary, vaultKey);
  await client.applyPolicy({ name: 'canary', secrets: ['CANARY_TOKEN'], rules: [{ effect: 'allow', tool: 'secret.*' }, { effect: 'allow', tool: 'http.fetch', url: { host: '127.0.0.1' } }] });
  const script = [
    { tool: 'secret.echo', input: {} },
    { tool: 'http.fetch', input: { url: echoUrl, headers: { authorization: 'Bearer {{secret:CANARY_TOKEN}}' } } },
    { tool: 'secret.throw', input: {} },
    { final: 'done' },
  ];
  const tools = ['secret.echo', 'secret.throw', 'http.fetch'];
  await client.applyAgent({ name: 'vault-user', model: 'scripted', policy: 'canary', tools, script });
  await client.applyAgent({ name: 'no-policy', model: 'scripted', tools, script });
}, 30_000);

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await nc?.close();
  await server?.dispose();
  headerEcho?.close();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

describe('a secret the vault hands to a tool', () => {
  it('reaches the tool and the server it was sent to, and the timeline shows it masked', async () => {
    await client.submit('vault-user', { input: 'use the token', sessionId: 'canary-run' });
    const events = await completedSession(client, 'canary-run', 20_000);
    expect(receivedAuthorization).toEqual([`Bearer ${canary}`]);
    const completed = ofType(events, 'tool.completed');
    expect(completed.map((event) => event.data.tool)).toEqual(['secret.echo', 'http.fetch']);
    expect(JSON.parse(completed[0]?.data.output ?? '{}')).toEqual({ plain: '[secret:CANARY_TOKEN]', base64: '[secret:CANARY_TOKEN]', basic: '[secret:CANARY_TOKEN]', url: 'https://x.test/?t=[secret:CANARY_TOKEN]' });
    const fetched = JSON.parse(completed[1]?.data.output ?? '{}') as { body: string };
    expect(JSON.parse(fetched.body)).toMatchObject({ youSent: { authorization: 'Bearer [secret:CANARY_TOKEN]' } });
    expect(ofType(events, 'tool.failed').map((event) => event.data.error)).toEqual(['upstream refused [secret:CANARY_TOKEN]']);
    expect(ofType(events, 'permission.granted')[0]?.data.grant?.secrets).toEqual(['CANARY_TOKEN']);
  });

  it('is not given to an agent whose policy does not grant it: each call fails naming the secret', async () => {
    await client.submit('no-policy', { input: 'use the token', sessionId: 'ungranted-run' });
    const events = await completedSession(client, 'ungranted-run', 20_000);
    expect(ofType(events, 'tool.failed').map((event) => event.data.error)).toEqual([
      "secret.echo needs the secret CANARY_TOKEN: the call's policy does not grant it",
      "http.fetch needs the secret CANARY_TOKEN: the call's policy does not grant it",
      "secret.throw needs the secret CANARY_TOKEN: the call's policy does not grant it",
    ]);
    expect(receivedAuthorization).toHaveLength(1);
  });

  it('is in no stream, bucket, object store or log line, in any form: the vault holds it sealed only', async () => {
    const stored = await everyStoredMessage(nc);
    expect([...stored.keys()]).toEqual(expect.arrayContaining(['SBX_EVENTS', 'SBX_JOBS', 'SBX_INBOX', 'KV_sbx-secrets', 'KV_sbx-snapshots', 'KV_sbx-tool-ledger', 'KV_sbx-sessions', 'KV_sbx-transcripts', 'SBX_DLQ', 'OBJ_sbx-workspace', 'OBJ_sbx-tool-outputs']));
    expect(stored.get('KV_sbx-secrets')).toContain('aes-256-gcm');
    expect(stored.get('SBX_EVENTS')).toContain('[secret:CANARY_TOKEN]');
    expect(stored.get('KV_sbx-tool-ledger')).toContain('[secret:CANARY_TOKEN]');
    const leaks = [...stored].flatMap(([stream, text]) => forms.filter((form) => text.includes(form)).map((form) => `${stream}: ${form}`));
    expect(leaks).toEqual([]);
    await nc.flush();
    expect(liveHeard.join('\n')).toContain('"text":"done"');
    expect(forms.filter((form) => liveHeard.join('\n').includes(form))).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(0);
    const logged = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(logged).toContain('using [secret:CANARY_TOKEN]');
    expect(forms.filter((form) => logged.includes(form))).toEqual([]);
  });
});
