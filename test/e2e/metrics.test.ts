import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SignalboxClient } from '@signalbox/client';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { gatewayService } from '@signalbox/gateway';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedSession, eventsUntil, scriptedAgent } from '../support/runtime.ts';

/** Prometheus metrics: a host serves them on loopback when given a port, and a run shows in them. */
let server: NatsServer;
let host: Host;
let nc: NatsConnection;
let client: SignalboxClient;

beforeAll(async () => {
  server = await startNatsServer();
  const config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'metrics-test', metrics: { port: 0 }, gateway: { port: 0 } });
  host = await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools }), gatewayService()], config);
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  await client.applyAgent(scriptedAgent());
  await client.applyPolicy({ name: 'people-write', rules: [{ id: 'people-write', effect: 'ask', tool: 'workspace.write', description: 'a person reads every write' }] });
  await client.applyAgent(scriptedAgent({ name: 'careful', policy: 'people-write' }));
});
afterAll(async () => {
  await nc?.close();
  await host?.stop();
  await server?.dispose();
});

/** The value of the sample named `name` whose labels include `labels`, from a scrape in the text format. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.entries(labels).every(([key, value]) => match[2]?.includes(`${key}="${value}"`));
    if (has) return Number(match[3]);
  }
  return undefined;
}

describe('metrics', () => {
  it("serves a session's steps, tokens, tool calls and consumer backlogs at /metrics on loopback", async () => {
    expect(host.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const outcome = await client.submit('scribe', { input: 'Remember the milk' });
    if (outcome.status === 'rejected') throw new Error(outcome.error);
    await completedSession(client, outcome.sessionId, 10_000);
    const response = await fetch(host.metricsUrl ?? '');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(sample(text, 'signalbox_steps_total', { model: 'scripted', instance: 'metrics-test' })).toBe(3);
    expect(sample(text, 'signalbox_model_tokens_total', { model: 'scripted', direction: 'input' })).toBeGreaterThan(0);
    expect(sample(text, 'signalbox_tool_calls_total', { tool: 'workspace.write', status: 'completed' })).toBe(1);
    expect(sample(text, 'signalbox_tool_call_seconds_count', { tool: 'workspace.read' })).toBe(1);
    expect(sample(text, 'signalbox_consumer_pending', { stream: 'SBX_JOBS', durable: 'tool-executor-workspace-write' })).toBe(0);
    expect(sample(text, 'signalbox_consumer_pending', { stream: 'SBX_TASKS', durable: 'session-actor-tasks' })).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{instance="metrics-test"\} /m);
    // No session id in any label: a label per session would grow without end.
    expect(text).not.toContain(outcome.sessionId);
  });

  it('counts the calls waiting for a person by tool (the gateway reads them from the sessions index), and none once answered', async () => {
    const scrape = async () => (await fetch(host.metricsUrl ?? '')).text();
    const outcome = await client.submit('careful', { input: 'Remember the milk' });
    if (outcome.status === 'rejected') throw new Error(outcome.error);
    const held = await eventsUntil(client, outcome.sessionId, (events) => events.some((event) => event.type === 'approval.requested'));
    const requested = held.find((event) => event.type === 'approval.requested');
    // The index row is written just after the append that holds the call: the scrape may see it a moment later.
    await expect.poll(async () => sample(await scrape(), 'signalbox_approvals_waiting', { tool: 'workspace.write' })).toBe(1);
    await client.approve(requested?.type === 'approval.requested' ? requested.data.approvalId : '', { by: 'metrics-test' });
    await completedSession(client, outcome.sessionId, 10_000);
    expect(sample(await scrape(), 'signalbox_approvals_waiting', { tool: 'workspace.write' })).toBeUndefined();
  });

  it('answers nothing but GET /metrics, and serves nothing unless given a port', async () => {
    const base = new URL(host.metricsUrl ?? '');
    expect((await fetch(new URL('/', base))).status).toBe(404);
    expect((await fetch(base, { method: 'POST', body: 'x' })).status).toBe(404);
    const quiet = await startHost([], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'no-metrics' }));
    expect(quiet.metricsUrl).toBeUndefined();
    await quiet.stop();
  });
});
