import { connect } from '@nats-io/transport-node';
import { encode } from '@signalbox/events';
import { headers } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { readOutputOf } from '../support/workspace-reads.ts';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ agents: [scriptedAgent()] });
});
afterAll(() => runtime.dispose());

describe('a session end to end', () => {
  it('runs a JSON task published by a plain NATS client through model, tools and completion', async () => {
    // Any NATS client will do: a core publish onto the task subject, no Signalbox code involved.
    const plain = await connect({ servers: runtime.server.url });
    plain.publish('sbx.tasks.scribe', JSON.stringify({ input: 'Remember the milk', sessionId: 'plain-json' }));
    await plain.flush();
    await plain.close();

    const events = await runtime.completedSession('plain-json');

    expect(events.map((event) => event.n)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.type)).toEqual([
      'session.created',
      'model.requested',
      'model.responded',
      'tool.requested',
      'permission.granted',
      'tool.completed',
      'model.requested',
      'model.responded',
      'tool.requested',
      'permission.granted',
      'tool.completed',
      'model.requested',
      'model.responded',
      'session.completed',
    ]);
    const byType = (type: string) => events.filter((event) => event.type === type);
    // Each call ran once the broker allowed it: the agent names no policy, so the tools it lists are allowed.
    expect(byType('permission.granted').map((event) => event.type === 'permission.granted' && [event.data.tool, event.data.policy])).toEqual([
      ['workspace.write', 'scribe-listed-tools'],
      ['workspace.read', 'scribe-listed-tools'],
    ]);
    expect(byType('tool.completed').map((event) => event.type === 'tool.completed' && event.data.output)).toEqual([
      expect.stringMatching(/^wrote 17 bytes to note\.md, now at revision \d+$/),
      expect.stringMatching(readOutputOf('note.md', 'remember the milk')),
    ]);
    const last = events.at(-1);
    expect(last?.type === 'session.completed' && last.data).toMatchObject({
      status: 'succeeded',
      output: 'Noted: remember the milk',
      totals: { steps: 3, toolCalls: 2 },
    });
    expect(new Set(events.map((event) => event.correlationId))).toEqual(new Set(['plain-json']));
  });

  it('accepts a msgpack task by Content-Type', async () => {
    const hdrs = headers();
    hdrs.set('Content-Type', 'application/msgpack');
    runtime.nc.publish('sbx.tasks.scribe', encode({ input: 'again', sessionId: 'packed' }), { headers: hdrs });
    const events = await runtime.completedSession('packed');
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
  });

  it('pauses a session that runs out of steps, with budget.exceeded (decider version 2)', async () => {
    const outcome = await runtime.client.submit('scribe', { input: 'short leash', sessionId: 'leashed', budget: { maxSteps: 1 } });
    expect(outcome).toEqual({ status: 'accepted', sessionId: 'leashed' });
    const events = await eventsUntil(runtime.client, 'leashed', (seen) => seen.at(-1)?.type === 'session.paused');
    expect(events.slice(-2)).toMatchObject([
      { type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 1, used: 1 } },
      { type: 'session.paused', data: { by: 'budget', fromBudget: true, reason: expect.stringContaining('maxSteps') } },
    ]);
  });

  it('hands a failing tool call back to the model as an error it can act on', async () => {
    await runtime.client.applyAgent(
      scriptedAgent({ name: 'reader', script: [{ tool: 'workspace.read', input: { path: 'missing.md' } }, { final: 'Nothing there.' }] }),
    );
    await runtime.client.submit('reader', { input: 'read it', sessionId: 'reader-1' });
    const events = await runtime.completedSession('reader-1');
    const failed = events.find((event) => event.type === 'tool.failed');
    expect(failed?.type === 'tool.failed' && failed.data.error).toMatch(/missing\.md/);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
  });

  it('lists sessions in the index with their outcome', async () => {
    const sessions = await runtime.client.sessions();
    expect(sessions.find((session) => session.sessionId === 'plain-json')).toMatchObject({
      agent: 'scribe',
      status: 'succeeded',
      lastN: 14,
      output: 'Noted: remember the milk',
    });
  });
});
