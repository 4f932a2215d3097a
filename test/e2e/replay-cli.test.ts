import { readFile } from 'node:fs/promises';
import { naming, type SessionEvent } from '@signalbox/events';
import { emptyHead, EventStore } from '@signalbox/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;

/** Runs `signalbox <args>` against the test's nats-server. */
const cli = (...args: string[]) => runCli([...args, '--nats', runtime.server.url]);

beforeAll(async () => {
  runtime = await startTestRuntime({ agents: [scriptedAgent()] });
  await runtime.client.submit('scribe', { input: 'Note: remember the milk', sessionId: 'replayed' });
  await runtime.completedSession('replayed');
});
afterAll(() => runtime.dispose());

describe('signalbox replay', () => {
  it('prints the run as a timeline, plain when piped', async () => {
    const { code, stdout } = await cli('replay', 'replayed');
    expect(code).toBe(0);
    expect(stdout).toContain('step 3');
    expect(stdout).toContain('input: {"path":"note.md","content":"remember the milk"}');
    expect(stdout).toMatch(/permission\.granted +workspace\.write \(call_1\) · granted/);
    expect(stdout).toMatch(/succeeded · 14 events · [\d.]+ s · 3 steps · 3 model calls · 2 tool calls/);
    expect(stdout).not.toContain('\u001b[');
  });

  it('stops at --to and prints { summary, events } with --json', async () => {
    const { stdout } = await cli('replay', 'replayed', '--to', '5', '--json');
    const { summary, events } = JSON.parse(stdout) as { summary: { to: number; status: string }; events: SessionEvent[] };
    expect(summary).toMatchObject({ to: 5, status: 'running' });
    expect(events.map((event) => event.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('--check passes a run the current decider would write the same way', async () => {
    const { code, stdout } = await cli('replay', 'replayed', '--check');
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'replayed: 14 events replay through the current decider (8 decisions, no divergence)\n' });
  });

  it('--check exits 1 at the first divergence', async () => {
    const recorded = JSON.parse(await readFile(new URL('../fixtures/histories/model-failure-fatal.json', import.meta.url), 'utf8')) as SessionEvent[];
    // As if the decider that wrote this log had retried a failure the current one treats as fatal.
    const diverging = recorded.map((event) => (event.type === 'model.failed' && event.n === 5 ? { ...event, data: { ...event.data, retryable: true } } : event));
    const store = await EventStore.open(runtime.nc, naming('sbx'));
    await store.append('fixture-model-failure-fatal', diverging, emptyHead);
    const { code, stdout } = await cli('replay', 'fixture-model-failure-fatal', '--check');
    expect(code).toBe(1);
    expect(stdout).toContain('fixture-model-failure-fatal: diverges at #6: the decider now records model.requested where the log has session.completed');
  });
});
