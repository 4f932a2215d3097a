import { jetstreamManager } from '@nats-io/jetstream';
import { defineTool } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** Garbage published on a session's subject: the session fails with the reason, in the index, and nothing else moves. */
const released = Promise.withResolvers<void>();
const gate = defineTool({
  name: 'gate.wait',
  description: 'Waits until the test lets it finish.',
  input: z.object({}),
  run: async () => {
    await released.promise;
    return 'opened';
  },
});

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({
    tools: [gate],
    agents: [{ name: 'waiter', model: 'scripted', tools: [gate.name], script: [{ tool: gate.name, input: {} }, { final: 'done' }] }],
  });
});
afterAll(async () => {
  released.resolve();
  await runtime.dispose();
});

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a session whose log holds a message it cannot decode', () => {
  it('fails with that reason in the sessions index instead of staying running, and its log is left as it was', async () => {
    const sessionId = 'corrupt-1';
    await runtime.client.submit('waiter', { input: 'wait', sessionId });
    await eventually(async () => ((await runtime.client.events(sessionId)).some((event) => event.type === 'tool.requested') ? true : undefined), 'the tool call');

    await runtime.nc.request(`sbx.events.${sessionId}`, new TextEncoder().encode('not msgpack at all \u0000\u00c1'));
    const jsm = await jetstreamManager(runtime.nc);
    const logBefore = (await jsm.streams.info('SBX_EVENTS', { subjects_filter: `sbx.events.${sessionId}` })).state.subjects;
    released.resolve();

    const entry = await eventually(async () => {
      const row = (await runtime.client.sessions()).find((session) => session.sessionId === sessionId);
      return row?.status === 'failed' ? row : undefined;
    }, 'the session to be marked failed');
    expect(entry.reason).toMatch(/sbx\.events\.corrupt-1 holds a message that cannot be decoded, at stream sequence \d+: cannot decode event message/);

    // The tool's result is kept, refused with the same reason, not retried.
    const letters = await eventually(async () => {
      const found = (await runtime.client.deadLetters(50)).filter((letter) => letter.from.startsWith(`sbx.inbox.${sessionId}`));
      return found.length > 0 ? found : undefined;
    }, 'the refused result');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ deliveries: 1, reason: expect.stringMatching(/cannot go on: sbx\.events\.corrupt-1 holds a message that cannot be decoded/) });
    const logAfter = (await jsm.streams.info('SBX_EVENTS', { subjects_filter: `sbx.events.${sessionId}` })).state.subjects;
    expect(logAfter).toEqual(logBefore);
    await expect(runtime.client.events(sessionId)).rejects.toThrow(/cannot be decoded/);
  });
});
