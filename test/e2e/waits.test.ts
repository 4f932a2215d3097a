import type { SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;
const last = (type: SessionEvent['type']) => (events: readonly SessionEvent[]) => events.at(-1)?.type === type;
const resultOf = (events: readonly SessionEvent[]) => events.find((event) => (event.type === 'tool.completed' || event.type === 'tool.failed') && event.data.tool.startsWith('wait.'));

beforeAll(async () => {
  const waiter = (name: string, input: Record<string, unknown>, tool = 'wait.time', budget: object = { maxSteps: 3 }) => ({ name, model: 'scripted', tools: ['wait.time', 'wait.signal'], budget, script: [{ tool, input }, { final: 'Done waiting.' }] });
  runtime = await startTestRuntime({
    agents: [
      waiter('napper', { seconds: 1 }),
      waiter('long-napper', { seconds: 3_600 }, 'wait.time', { maxSteps: 3, maxWallClockMs: 60_000 }),
      waiter('listener', { name: 'deployed' }, 'wait.signal'),
      waiter('impatient', { name: 'deployed', timeoutSeconds: 1 }, 'wait.signal'),
    ],
  });
});
afterAll(async () => {
  await runtime?.dispose();
});

describe('built-in waits', () => {
  it('waits a duration on a durable timer, with no executor involved, and goes on', async () => {
    const started = Date.now();
    await runtime.client.submit('napper', { input: 'Nap', sessionId: 'nap-1' });
    const events = await runtime.completedSession('nap-1', 15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(resultOf(events)).toMatchObject({ type: 'tool.completed', data: { tool: 'wait.time', output: expect.stringMatching(/^waited until \d{4}-/) } });
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'Done waiting.' } });
    expect(await runtime.client.check('nap-1')).toMatchObject({ ok: true });
  });

  it("refuses a wait longer than the session's remaining wall-clock budget, and the model hears why", async () => {
    await runtime.client.submit('long-napper', { input: 'Nap long', sessionId: 'nap-long' });
    const events = await runtime.completedSession('nap-long', 10_000);
    expect(resultOf(events)).toMatchObject({ type: 'tool.failed', data: { error: expect.stringMatching(/after the session's wall-clock budget runs out/) } });
  });

  it('waits for a named signal any client sends, and takes its payload', async () => {
    await runtime.client.submit('listener', { input: 'Wait for the deploy', sessionId: 'signal-1' });
    await eventsUntil(runtime.client, 'signal-1', last('permission.granted'));
    await runtime.client.signal('signal-1', 'other');
    await runtime.client.signal('signal-1', 'deployed', { by: 'ci', payload: 'v42 is live' });
    const events = await runtime.completedSession('signal-1');
    expect(events.filter((event) => event.type === 'signal.received').map((event) => event.data.name)).toEqual(['other', 'deployed']);
    expect(resultOf(events)).toMatchObject({ type: 'tool.completed', data: { output: 'v42 is live' } });
    expect(await runtime.client.check('signal-1')).toMatchObject({ ok: true });
  });

  it('takes a signal sent as the wait begins, before or after its call is recorded', async () => {
    await runtime.client.submit('listener', { input: 'Wait for the deploy', sessionId: 'signal-early' });
    await eventsUntil(runtime.client, 'signal-early', last('model.requested'));
    await runtime.client.signal('signal-early', 'deployed', { payload: 'already live' });
    const events = await runtime.completedSession('signal-early');
    expect(resultOf(events)).toMatchObject({ data: { output: 'already live' } });
  });

  it('gives up on a signal after its timeout', async () => {
    await runtime.client.submit('impatient', { input: 'Wait a little', sessionId: 'signal-late' });
    const events = await runtime.completedSession('signal-late', 15_000);
    expect(resultOf(events)).toMatchObject({ type: 'tool.failed', data: { error: 'no signal "deployed" came within 1 second' } });
  });
});
