import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { defineDetector } from '@signalbox/supervision';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { supervisorService } from './index.ts';

/**
 * Looks up the same thing again and again: a loop the supervisor must catch while it runs. Each
 * lookup takes a moment, as a real tool or model call does: the supervisor acts on the log
 * asynchronously, so a loop of instant steps could finish before its nudge lands.
 */
const lookup = defineTool({ name: 'docs.lookup', description: 'Looks a term up', input: z.object({ term: z.string() }), run: async ({ term }) => (await sleep(150), `no entry for ${term}`) });
const loop = Array.from({ length: 12 }, () => ({ tool: 'docs.lookup', input: { term: 'flaky' } }));
/** A user's own detector: any call to workspace.list is out of bounds for these agents. */
const noListing = defineDetector({
  name: 'no-listing',
  action: 'abort',
  initial: () => ({ listed: 0 }),
  evolve: (state: { listed: number }, event) => (event.type === 'tool.requested' && event.data.tool === 'workspace.list' ? { listed: event.n } : state),
  check: (state) => (state.listed > 0 ? { reason: 'This agent may not list the workspace.', evidence: [state.listed] } : undefined),
});

let server: NatsServer;
let runtime: Host;
let nc: NatsConnection;
let client: SignalboxClient;

beforeAll(async () => {
  server = await startNatsServer();
  // The supervisor beside the services whose sessions it watches, as `signalbox up` runs them.
  const services = [sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [...workspaceTools, lookup] }), supervisorService({ detectors: [noListing] })];
  runtime = await startHost(services, RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'runtime' }));
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  const tools = ['workspace.read', 'workspace.write', 'workspace.list', 'docs.lookup'];
  await client.applyAgent({ name: 'looper', model: 'scripted', tools, budget: { maxSteps: 20 }, script: [...loop, { final: 'done' }] });
  await client.applyAgent({ name: 'unwatched', model: 'scripted', tools, budget: { maxSteps: 20 }, supervision: false, script: [...loop, { final: 'done' }] });
  await client.applyAgent({
    name: 'healthy',
    model: 'scripted',
    tools,
    script: [
      { tool: 'workspace.write', input: { path: 'a.md', content: 'one' } },
      { tool: 'workspace.read', input: { path: 'a.md' } },
      { tool: 'workspace.write', input: { path: 'a.md', content: 'two' } },
      { tool: 'workspace.read', input: { path: 'a.md' } },
      { final: 'done' },
    ],
  });
  await client.applyAgent({ name: 'lister', model: 'scripted', tools, script: [{ tool: 'workspace.list', input: {} }, { final: 'listed' }] });
});
afterAll(async () => {
  await nc?.close();
  await runtime?.stop();
  await server?.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

/** Follows the session until it completes or pauses. */
async function settled(sessionId: string): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for await (const event of client.follow(sessionId, AbortSignal.timeout(20_000))) {
    events.push(event);
    if (event.type === 'session.paused' || event.type === 'session.completed') return events;
  }
  throw new Error(`session ${sessionId} neither paused nor completed: ${events.map((event) => event.type).join(', ')}`);
}

describe('the supervisor', () => {
  it('nudges a looping session while it runs, then pauses it when the loop goes on (the default ladder)', async () => {
    await client.submit('looper', { input: 'find the bug', sessionId: 'looping' });
    const events = await settled('looping');
    const interventions = ofType(events, 'supervisor.intervened');
    expect(interventions.map((event) => [event.data.detector, event.data.action])).toEqual([
      ['repetition', 'nudge'],
      ['repetition', 'pause'],
    ]);
    // Caught at the third identical read, while the session ran, not after it.
    const reads = ofType(events, 'tool.requested').map((event) => event.n);
    expect(interventions[0]?.data.evidence).toEqual(reads.slice(0, 3));
    expect(events.at(-1)).toMatchObject({ type: 'session.paused', data: { by: 'supervisor:repetition' } });
    // The nudge reached the model: it is in the user message after the third read's result.
    const nudgedAt = interventions[0]?.n ?? 0;
    expect(ofType(events, 'tool.completed').some((event) => event.n > nudgedAt)).toBe(true);
  });

  it('leaves a healthy session and an agent with supervision off alone', async () => {
    await client.submit('healthy', { input: 'write twice', sessionId: 'healthy-1' });
    await client.submit('unwatched', { input: 'loop unwatched', sessionId: 'unwatched-1' });
    for (const sessionId of ['healthy-1', 'unwatched-1']) {
      const events = await settled(sessionId);
      expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
      expect(ofType(events, 'supervisor.intervened')).toEqual([]);
    }
  });

  it('runs a detector of your own beside the built-in ones: its abort ends the session', async () => {
    await client.submit('lister', { input: 'list it', sessionId: 'listing' });
    const events = await settled('listing');
    expect(ofType(events, 'supervisor.intervened')[0]?.data).toMatchObject({ detector: 'no-listing', action: 'abort', reason: 'This agent may not list the workspace.' });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'aborted' } });
  });
});
