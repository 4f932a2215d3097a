import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionEvent } from '@signalbox/events';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Scripted runs that spiral and waste, watched by the supervisor service beside the runtime: each is
 * caught by the right detector, with the right events as evidence, and the agent's ladder decides
 * what happens. (Loops: services/supervisor's integration test and test/e2e/supervisor-gate.test.ts.)
 * Each tool takes a moment, as a real one does: the supervisor acts on the log as it is written.
 */
const deploy = defineTool({
  name: 'deploy.run',
  description: 'Deploys a build',
  input: z.object({ build: z.number() }),
  run: async ({ build }) => {
    await sleep(100);
    throw new Error(`build ${build}: connection refused by the registry`);
  },
});
const report = 'x'.repeat(5_000);
const fetchReport = defineTool({ name: 'report.fetch', description: 'Fetches the report', input: z.object({ copy: z.number() }), run: async () => (await sleep(100), report) });

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ tools: [...workspaceTools, deploy, fetchReport], services: [supervisorService()] });
  const tools = ['deploy.run', 'report.fetch'];
  await runtime.client.applyAgent({
    name: 'spiraller',
    model: 'scripted',
    tools,
    budget: { maxSteps: 20 },
    supervision: { ladder: ['pause'] },
    script: [...Array.from({ length: 8 }, (_, build) => ({ tool: 'deploy.run', input: { build } })), { final: 'gave up' }],
  });
  await runtime.client.applyAgent({
    name: 'waster',
    model: 'scripted',
    tools,
    budget: { maxSteps: 20 },
    supervision: { ladder: ['abort'], repetition: { enabled: false } },
    script: [...Array.from({ length: 8 }, (_, copy) => ({ tool: 'report.fetch', input: { copy } })), { final: 'read it' }],
  });
});
afterAll(() => runtime.dispose());

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);
const ended = (events: readonly SessionEvent[]) => events.some((event) => event.type === 'session.paused' || event.type === 'session.completed');

describe('the supervisor on scripted runs that go wrong', () => {
  it('an error spiral: three failed calls in a row, the failures as evidence; the ladder pauses it', async () => {
    await runtime.client.submit('spiraller', { input: 'deploy it', sessionId: 'spiral-1' });
    const events = await eventsUntil(runtime.client, 'spiral-1', ended, 20_000);
    const [intervened] = ofType(events, 'supervisor.intervened');
    const failures = ofType(events, 'tool.failed').slice(0, 3).map((event) => event.n);
    expect(intervened?.data).toMatchObject({ detector: 'error_spiral', action: 'pause', evidence: failures });
    expect(events.at(-1)).toMatchObject({ type: 'session.paused', data: { by: 'supervisor:error_spiral' } });
  });

  it('waste: the same large output read a third time, its reads as evidence; the ladder aborts it', async () => {
    await runtime.client.submit('waster', { input: 'read the report', sessionId: 'waste-1' });
    const events = await eventsUntil(runtime.client, 'waste-1', ended, 20_000);
    const [intervened] = ofType(events, 'supervisor.intervened');
    const reads = ofType(events, 'tool.completed').slice(0, 3).map((event) => event.n);
    expect(intervened?.data).toMatchObject({ detector: 'waste', action: 'abort', evidence: reads, reason: 'The same large output came back 3 times; the agent already has it.' });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'aborted' } });
  });
});
