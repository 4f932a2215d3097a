import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { connect } from '@nats-io/transport-node';
import { doctor } from '@signalbox/cli';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { readMcpStatuses, vaultKeyOf } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer } from '../../services/tool-executor/src/shell/mcp-servers.fixtures.ts';
import { everyStoredMessage, startCapturedHost, type CapturedLogs } from '../security/bus-state.ts';
import { completedSession } from '../support/runtime.ts';

/**
 * MCP tools end to end: a scripted agent calls tools of an MCP server run over stdio and of one over
 * Streamable HTTP, through the permission broker, with vault secrets in the server's environment and
 * headers; the secrets reach the servers and nothing else.
 */
const fixtureScript = fileURLToPath(new URL('../../services/tool-executor/src/shell/mcp-servers.fixtures.ts', import.meta.url));
const token = `mcp-canary/${randomBytes(9).toString('base64url')}`;
const apiKey = `mcp-key/${randomBytes(9).toString('base64url')}`;
const forms = [token, apiKey, Buffer.from(token).toString('base64'), Buffer.from(apiKey).toString('base64')];
const vaultKey = vaultKeyOf(randomBytes(32));
const broker = createUser();

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let http: Awaited<ReturnType<typeof startHttpMcpServer>>;
const logs: CapturedLogs = { lines: [] };
const hosts: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  http = await startHttpMcpServer();
  const settings = {
    permissionBroker: { nkeySeed: new TextDecoder().decode(broker.getSeed()) },
    toolExecutor: { grantSigners: [broker.getPublicKey()] },
  };
  hosts.push(await startCapturedHost(nc, [sessionActorService(), permissionBrokerService()], logs, settings));
  client = await SignalboxClient.open(nc);
  // The executor opens the servers' secrets when it starts them: they are in the vault before it starts.
  await client.setSecret('MCP_TOKEN', token, vaultKey);
  await client.setSecret('MCP_KEY', apiKey, vaultKey);
  const mcpServers = [
    { name: 'fx', command: process.execPath, args: [fixtureScript, 'stdio'], env: { FIXTURE_TOKEN: { secret: 'MCP_TOKEN' } }, timeoutMs: 5_000 },
    { name: 'web', url: http.url, headers: { Authorization: { secret: 'MCP_KEY', template: 'Bearer {secret}' } }, timeoutMs: 5_000 },
  ];
  hosts.push(await startCapturedHost(nc, [toolExecutorService({ tools: [], mcpServers, vaultKeys: { current: vaultKey } })], logs, { ...settings, logLevel: 'debug' }));
  await client.applyPolicy({
    name: 'mcp',
    secrets: ['MCP_TOKEN', 'MCP_KEY'],
    rules: [
      { effect: 'deny', tool: 'mcp.fx.exit' },
      { effect: 'allow', tool: 'mcp.fx.*' },
      { effect: 'allow', tool: 'mcp.web.*' },
    ],
  });
  await client.applyAgent({
    name: 'mcp-user',
    model: 'scripted',
    policy: 'mcp',
    tools: ['mcp.fx.echo_text', 'mcp.fx.env', 'mcp.fx.exit', 'mcp.web.whoami'],
    script: [
      { tool: 'mcp.fx.echo_text', input: { text: 'hello ', times: 2 } },
      { tool: 'mcp.fx.echo_text', input: { text: '' } },
      { tool: 'mcp.fx.env', input: { name: 'FIXTURE_TOKEN' } },
      { tool: 'mcp.web.whoami', input: {} },
      { tool: 'mcp.fx.exit', input: {} },
      { final: 'done' },
    ],
  });
}, 30_000);

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await nc?.close();
  await server?.dispose();
  await http?.close();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

describe('MCP tools through the runtime', () => {
  it('are advertised, policed by the broker, checked against their schemas and given their secrets', async () => {
    await client.submit('mcp-user', { input: 'use the MCP tools', sessionId: 'mcp-run' });
    const events = await completedSession(client, 'mcp-run', 20_000);
    expect(ofType(events, 'tool.completed').map((event) => [event.data.tool, event.data.output])).toEqual([
      ['mcp.fx.echo_text', 'hello hello '],
      ['mcp.fx.env', 'FIXTURE_TOKEN=[secret:MCP_TOKEN]'],
      ['mcp.web.whoami', 'authorization: Bearer [secret:MCP_KEY]'],
    ]);
    expect(ofType(events, 'tool.failed').map((event) => [event.data.tool, event.data.error])).toEqual([
      ['mcp.fx.echo_text', expect.stringMatching(/^invalid input for mcp\.fx\.echo_text: #\/text: /)],
      ['mcp.fx.exit', expect.stringContaining('denied')],
    ]);
    expect(ofType(events, 'permission.denied').map((event) => event.data.callId)).toHaveLength(1);
    expect(ofType(events, 'permission.granted')[0]?.data.grant?.secrets).toEqual(['MCP_KEY', 'MCP_TOKEN']);
  });

  it('records each server healthy for doctor, and leaves the secrets in no stream, bucket or log line', async () => {
    const statuses = await readMcpStatuses(nc, client.names);
    expect(statuses.map(({ server, transport, status, tools }) => ({ server, transport, status, tools: tools.length }))).toEqual([
      { server: 'fx', transport: 'stdio', status: 'connected', tools: 9 },
      { server: 'web', transport: 'http', status: 'connected', tools: 9 },
    ]);
    const report: string[] = [];
    await doctor({ nats: server.url, prefix: 'sbx' }, { monitor: 'http://127.0.0.1:9/' }, { write: (line) => report.push(line), colour: false });
    expect(report.join('\n')).toContain('The MCP server fx (stdio) is connected, offering 9 tools.');
    expect(report.join('\n')).toContain('The MCP server web (http) is connected, offering 9 tools.');
    const stored = await everyStoredMessage(nc);
    expect(stored.get('SBX_EVENTS')).toContain('[secret:MCP_TOKEN]');
    expect([...stored].flatMap(([stream, text]) => forms.filter((form) => text.includes(form)).map((form) => `${stream}: ${form}`))).toEqual([]);
    const logged = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(logged).toContain('MCP server connected');
    expect(forms.filter((form) => logged.includes(form))).toEqual([]);
  });
});
