import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming, type AgentDefinition, type ModelRequest } from '@signalbox/events';
import { createScriptedProvider } from '@signalbox/models';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import type { SessionCommand } from '@signalbox/session';
import { provision, type EventStore } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerFixture } from './runner-fixture.ts';

const names = naming('sbx');
const agent: AgentDefinition = {
  name: 'reader',
  model: 'scripted',
  system: 'Read one file.',
  tools: ['workspace.read'],
  budget: { maxSteps: 5 },
  maxTokens: 256,
  subagents: [],
  script: [{ tool: 'workspace.read', input: { path: 'notes.md' } }, { final: 'read' }],
};
const tools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];

let server: NatsServer;
let broker: Host;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  await provision(nc, names);
  // Sessions are gated (decider version 3): each tool call waits for a broker's verdict.
  broker = await startHost([permissionBrokerService()], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'broker' }));
});
afterAll(async () => {
  await broker?.stop();
  await Promise.all(connections.map((nc) => nc.close()));
  await server.dispose();
});

/** A gate a model call waits at: `reached` resolves when the call gets there, `open()` lets it through. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, reached: arrived, wait: () => (reached(), opened) };
}

/** A session actor of its own (own connection, store and cache) whose model calls wait at `modelGate`. */
async function actor(instance: string, modelGate: ReturnType<typeof gate>) {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return runnerFixture(nc, names, instance, {
    snapshotEvery: 0,
    resolveModel: (definition) => {
      const scripted = createScriptedProvider(definition.script ?? []);
      const complete = async (request: ModelRequest) => (await modelGate.wait(), scripted.complete(request));
      return { provider: { name: 'scripted', complete }, costOf: () => 0 };
    },
  });
}

async function waitForHead(store: EventStore, sessionId: string, n: number): Promise<void> {
  while ((await store.head(sessionId)).n < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('two actors on redeliveries of one message', () => {
  it('dispatches the tool call the winner appended but could not dispatch, before the loser acknowledges', async () => {
    const id = 'raced';
    const start: SessionCommand = { type: 'StartSession', sessionId: id, correlationId: id, agent, tools, input: 'read', budget: agent.budget };
    const [gateA, gateB] = [gate(), gate()];
    const [a, b] = [await actor('a', gateA), await actor('b', gateB)];
    const jsm = await jetstreamManager(connections[0]!);

    // Actor a starts the session and calls the model; the task's ack wait runs out, so b gets it too.
    const winner = a.runner.execute(id, start, { causationId: 'task' });
    await gateA.reached;
    const loser = b.runner.execute(id, start, { causationId: 'task' });
    await gateB.reached;

    // a records the reply, then the tool call with the broker's verdict, then cannot publish the tool job (the jobs stream is away).
    await jsm.streams.delete(names.streams.jobs);
    gateA.open();
    await expect(winner).rejects.toThrow();
    expect((await a.store.read(id)).map((event) => event.type).slice(-3)).toEqual(['model.responded', 'tool.requested', 'permission.granted']);

    // b's reply decides nothing (a moved the session on); it dispatches the job the log waits on, with
    // the verdict a recorded.
    await provision(connections[0]!, names);
    gateB.open();
    await expect(loser).resolves.toMatchObject({ appended: 0, state: { status: 'awaiting_tools' } });
    const jobs = await jsm.streams.info(names.streams.jobs, { subjects_filter: '>' });
    expect(jobs.state.subjects).toEqual({ [names.subjects.toolJob('workspace.read')]: 1 });
    await waitForHead(b.store, id, 5);
    const events = await b.store.read(id);
    expect(events.map((event) => [event.type, event.by.instance])).toEqual([
      ['session.created', 'a'],
      ['model.requested', 'a'],
      ['model.responded', 'a'],
      ['tool.requested', 'a'],
      ['permission.granted', 'a'],
    ]);
  });
});
