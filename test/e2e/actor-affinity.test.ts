import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { succeededSession } from '../support/runtime.ts';

const steps = 6;
const note = defineTool({ name: 'note.take', description: 'Takes a note', input: z.object({ text: z.string() }), run: ({ text }) => `noted ${text}` });
/** Slow enough for a test to stop the actor that dispatched it while it runs. */
const slowNote = defineTool({
  name: 'note.slow',
  description: 'Takes a note, slowly',
  input: z.object({ text: z.string() }),
  run: async ({ text }) => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return `noted ${text}`;
  },
});

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
const hosts = new Map<string, Host>();

beforeEach(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  await start('executor', toolExecutorService({ tools: [note, slowNote] }));
  await start('broker', permissionBrokerService());
  await client.applyAgent({
    name: 'noter',
    model: 'scripted',
    tools: [slowNote.name, note.name],
    script: [{ tool: slowNote.name, input: { text: 'first' } }, ...Array.from({ length: steps - 1 }, (_, i) => ({ tool: note.name, input: { text: `${i}` } })), { final: 'done' }],
  });
  await client.applyAgent({ name: 'slow', model: 'scripted', tools: [slowNote.name], script: [{ tool: slowNote.name, input: { text: 'x' } }, { final: 'done' }] });
});
afterEach(async () => {
  await nc.close();
  await Promise.all([...hosts.values()].map((host) => host.stop()));
  hosts.clear();
  await server.dispose();
});

/** A process's worth of services under its own instance name; a short ack wait makes a stopped actor count as gone within seconds. */
async function start(instance: string, service: Parameters<typeof startHost>[0][number]): Promise<void> {
  hosts.set(instance, await startHost([service], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance, ackWaitMs: 1_000 })));
}

async function firstCall(sessionId: string): Promise<void> {
  for await (const event of client.follow(sessionId, AbortSignal.timeout(5_000))) if (event.type === 'tool.requested') return;
  throw new Error(`${sessionId} requested no tool call within 5 s`);
}

describe('tool results go back to the actor that dispatched the call', () => {
  it('so with two actor processes every step of a session continues where its state is cached', { timeout: 30_000 }, async () => {
    // Four sessions start on actor-a alone; actor-b joins while their first (slow) calls run, and four more start.
    await start('actor-a', sessionActorService());
    const early = ['affine-0', 'affine-1', 'affine-2', 'affine-3'];
    await Promise.all(early.map((sessionId) => client.submit('noter', { input: 'take notes', sessionId })));
    await Promise.all(early.map((sessionId) => firstCall(sessionId)));
    await start('actor-b', sessionActorService());
    const late = ['affine-4', 'affine-5', 'affine-6', 'affine-7'];
    await Promise.all(late.map((sessionId) => client.submit('noter', { input: 'take notes', sessionId })));

    for (const sessionId of [...early, ...late]) {
      const events = await succeededSession(client, sessionId, 20_000);
      const requestedBy = new Map(events.flatMap((event) => (event.type === 'tool.requested' ? [[event.data.callId, event.by.instance]] : [])));
      const results = events.flatMap((event) => (event.type === 'tool.completed' ? [event] : []));
      expect(results).toHaveLength(steps);
      // Without affinity, actor-b (pulling from the shared inbox too) would record about half of them.
      for (const result of results) expect(result.by.instance).toBe(requestedBy.get(result.data.callId));
      if (early.includes(sessionId)) expect(new Set(results.map((result) => result.by.instance))).toEqual(new Set(['actor-a']));
    }
  });

  it('and the results of an actor that stopped are taken over by another', { timeout: 30_000 }, async () => {
    // Left to itself, the server would keep actor-a's inbox durable for a minute after its last pull.
    await start('actor-a', sessionActorService({ ownInboxIdleMs: 60_000 }));
    await client.submit('slow', { input: 'take a slow note', sessionId: 'orphaned' });
    // The call is out with the executor: stop the actor that dispatched it before its result comes back.
    await firstCall('orphaned');
    await start('actor-b', sessionActorService());
    await hosts.get('actor-a')?.stop();
    hosts.delete('actor-a');
    const consumers = await (await jetstreamManager(nc)).consumers.list('SBX_INBOX').next();
    expect(consumers.map((consumer) => consumer.name).sort()).toEqual(['session-actor-approvals', 'session-actor-grades', 'session-actor-inbox', 'session-actor-inbox-actor-b', 'session-actor-interventions', 'session-actor-messages', 'session-actor-subagents']);

    // Handed over as actor-a stopped: the result reaches actor-b within its next search, not a minute later.
    const events = await succeededSession(client, 'orphaned', 8_000);
    expect(events.find((event) => event.type === 'tool.completed')?.by.instance).toBe('actor-b');
  });
});
