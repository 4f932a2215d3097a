import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { encode, naming, type ToolJob } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host, type Service } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { succeededSession } from '../support/runtime.ts';

/** Which executor process ran each call, by call id. */
const ranBy = new Map<string, string>();

/** A tool that answers with the executor process it ran in. */
function echoTool(name: string, executor: string) {
  return defineTool({
    name,
    description: `Echoes its text (${executor})`,
    input: z.object({ text: z.string() }),
    run: ({ text }, context) => {
      ranBy.set(context.callId, executor);
      return `${executor}: ${text}`;
    },
  });
}

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
const hosts: Host[] = [];

beforeEach(async () => {
  ranBy.clear();
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
});
afterEach(async () => {
  await nc.close();
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
  await server.dispose();
});

/** Services under their own connection and instance name, as a separate process would run them. */
async function start(instance: string, ...services: Service[]): Promise<void> {
  hosts.push(await startHost(services, RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance })));
}

describe('tool executors offering different tools', () => {
  it('each get only the jobs of their own tools', async () => {
    await start('actor', sessionActorService(), permissionBrokerService());
    await start('alpha', toolExecutorService({ tools: [echoTool('alpha.echo', 'alpha')] }));
    await start('beta', toolExecutorService({ tools: [echoTool('beta.echo', 'beta')] }));
    // Not alternating: a server handing jobs to the two executors' pulls in turn must not line up with it by chance.
    const calls = [...'aaabbbabba'].map((executor, i) => ({ tool: executor === 'a' ? 'alpha.echo' : 'beta.echo', input: { text: `${i}` } }));
    await client.applyAgent({ name: 'mixer', model: 'scripted', tools: ['alpha.echo', 'beta.echo'], script: [...calls, { final: 'done' }] });

    expect(await client.submit('mixer', { input: 'go', sessionId: 'mixed' })).toMatchObject({ status: 'accepted' });
    const events = await succeededSession(client, 'mixed', 10_000);

    const outputs = events.flatMap((event) => (event.type === 'tool.completed' ? [`${event.data.tool} ${event.data.output}`] : []));
    expect(outputs).toEqual(calls.map(({ tool, input }) => `${tool} ${tool.split('.')[0]}: ${input.text}`));
    const requested = events.flatMap((event) => (event.type === 'tool.requested' ? [event.data] : []));
    for (const call of requested) expect(ranBy.get(call.callId)).toBe(call.tool.split('.')[0]);
  });

  it('leave a call to a tool the session was not given to the actor, which answers it at once', async () => {
    await start('actor', sessionActorService(), permissionBrokerService());
    await start('alpha', toolExecutorService({ tools: [echoTool('alpha.echo', 'alpha')] }));
    const script = [{ tool: 'web.search', input: { q: 'nats' } }, { tool: 'alpha.echo', input: { text: 'after' } }, { final: 'done' }];
    await client.applyAgent({ name: 'guesser', model: 'scripted', tools: ['alpha.echo'], script });

    await client.submit('guesser', { input: 'go', sessionId: 'guessed' });
    const events = await succeededSession(client, 'guessed', 10_000);

    expect(events.find((event) => event.type === 'tool.failed')).toMatchObject({
      data: { tool: 'web.search', error: 'unknown tool "web.search"; the tools available are: alpha.echo' },
    });
    expect(events.find((event) => event.type === 'tool.completed')).toMatchObject({ data: { tool: 'alpha.echo', output: 'alpha: after' } });
    expect([...ranBy.values()]).toEqual(['alpha']);
  });

  it('take over from the one durable that executors shared before, with the jobs it held', async () => {
    const names = naming();
    await provision(nc, names, { replicas: 1 });
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(names.streams.jobs, { durable_name: 'tool-executor', filter_subject: names.subjects.allToolJobs, ack_policy: AckPolicy.Explicit });
    const job: ToolJob = { sessionId: 'legacy', correlationId: 'legacy', callId: 'call_1', tool: 'alpha.echo', input: { text: 'waiting' }, idempotencyKey: 'legacy/call_1' };
    await jetstream(nc).publish(names.subjects.toolJob(job.tool), encode(job));

    await start('alpha', toolExecutorService({ tools: [echoTool('alpha.echo', 'alpha')] }));

    const consumers: string[] = [];
    for await (const info of jsm.consumers.list(names.streams.jobs)) consumers.push(info.name);
    expect(consumers).toEqual(['tool-executor-alpha-echo']);
    const deadline = Date.now() + 5_000;
    while (!ranBy.has('call_1') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ranBy.get('call_1')).toBe('alpha');
  });
});
