import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { decode, naming, ToolJob, type ModelRequest } from '@signalbox/events';
import { createScriptedProvider } from '@signalbox/models';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import type { SessionCommand } from '@signalbox/session';
import { provision, type EventStore } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerAgent, readerTools, runnerFixture } from './runner-fixture.ts';
import { SessionTraces } from './session-traces.ts';

const names = naming('sbx');
const [agent, tools] = [readerAgent, readerTools];

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

/** A session actor of its own (own connection, store and cache) whose model calls wait at `modelGate`; traced when asked. */
async function actor(instance: string, modelGate: ReturnType<typeof gate>, traced = false) {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  const traces = traced ? new SessionTraces(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] }).getTracer('test')) : undefined;
  return runnerFixture(nc, names, instance, {
    snapshotEvery: 0,
    ...(traces ? { traces } : {}),
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

/**
 * Actor a starts the session and calls the model; the task's ack wait runs out, so b gets it too. a records
 * the reply, then the tool call with the broker's verdict, then cannot publish the tool job (the jobs stream
 * is away); b's reply decides nothing (a moved the session on), and it dispatches the job the log waits on.
 */
async function raceWhereTheWinnerCannotDispatch(id: string, traced: boolean) {
  const start: SessionCommand = { type: 'StartSession', sessionId: id, correlationId: id, agent, tools, input: 'read', budget: agent.budget };
  const [gateA, gateB] = [gate(), gate()];
  const [a, b] = [await actor('a', gateA, traced), await actor('b', gateB, traced)];
  const jsm = await jetstreamManager(connections[0]!);
  const winner = a.runner.execute(id, start, { causationId: 'task' });
  await gateA.reached;
  const loser = b.runner.execute(id, start, { causationId: 'task' });
  await gateB.reached;
  await jsm.streams.delete(names.streams.jobs);
  gateA.open();
  await expect(winner).rejects.toThrow();
  expect((await a.store.read(id)).map((event) => event.type).slice(-3)).toEqual(['model.responded', 'tool.requested', 'permission.granted']);
  await provision(connections[0]!, names);
  gateB.open();
  return { b, jsm, loser: await loser };
}

describe('two actors on redeliveries of one message', () => {
  it('dispatches the tool call the winner appended but could not dispatch, before the loser acknowledges', async () => {
    const { b, jsm, loser } = await raceWhereTheWinnerCannotDispatch('raced', false);
    // With the verdict a recorded.
    expect(loser).toMatchObject({ appended: 0, state: { status: 'awaiting_tools' } });
    const jobs = await jsm.streams.info(names.streams.jobs, { subjects_filter: '>' });
    expect(jobs.state.subjects).toEqual({ [names.subjects.toolJob('workspace.read')]: 1 });
    // The session is a run of its own, not a fork, as b learnt from the log: its executor need not read that again.
    const job = await jsm.streams.getMessage(names.streams.jobs, { last_by_subj: names.subjects.toolJob('workspace.read') });
    expect(decode(ToolJob, job!.data, 'tool job')).toMatchObject({ correlationId: 'raced', unforkedRun: true });
    await waitForHead(b.store, 'raced', 5);
    const events = await b.store.read('raced');
    expect(events.map((event) => [event.type, event.by.instance])).toEqual([
      ['session.created', 'a'],
      ['model.requested', 'a'],
      ['model.responded', 'a'],
      ['tool.requested', 'a'],
      ['permission.granted', 'a'],
    ]);
  });

  it("traced, the job the loser dispatches carries the winner's trace, under a span the winner's events name", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { b, jsm } = await raceWhereTheWinnerCannotDispatch('raced-traced', true);
    const named = new Set((await b.store.read('raced-traced')).map((event) => event.traceparent));
    expect(named.has(undefined)).toBe(false);
    const job = await jsm.streams.getMessage(names.streams.jobs, { last_by_subj: names.subjects.toolJob('workspace.read') });
    // The loser picked the trace up from the last event it read (the winner's model call), and never opened the call's span.
    expect(named.has(job?.header.get('traceparent'))).toBe(true);
  });
});
