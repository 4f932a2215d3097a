import type { ModelRequest, ModelResponse, SessionEvent } from '@signalbox/events';
import { replayTimeline } from '@signalbox/cli';
import { diffSessions } from '@signalbox/client';
import { createScriptedProvider, ModelError, type ModelProvider } from '@signalbox/models';
import { checkHistory } from '@signalbox/session';
import { defineTool, workspaceTools, type ToolSpec } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** A model whose second step depends on its first tool call: it reads a file, and gives up if it could not. */
const reader: ModelProvider = {
  name: 'reader',
  complete: async (request: ModelRequest): Promise<ModelResponse> => {
    modelCalls += 1;
    if (!request.messages.some((message) => message.role === 'assistant')) {
      return { model: 'reader', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage };
    }
    const result = request.messages.at(-1)?.content.find((block) => block.type === 'tool_result');
    if (result?.type !== 'tool_result' || result.isError) throw new ModelError('invalid_request', 'cannot summarise notes I could not read', { retryable: false });
    return { model: 'reader', content: [{ type: 'text', text: `The notes say: ${result.content}` }], stopReason: 'end_turn', usage };
  },
};
let modelCalls = 0;
let toolRuns = 0;
const countedTools = workspaceTools.map((spec): ToolSpec =>
  spec.name === 'workspace.read' ? { ...spec, run: (input, context) => ((toolRuns += 1), spec.run(input, context)) } : spec,
);
/** Answers with 150,000 characters: a few calls make a log larger than one NATS message can carry. */
const bulk = defineTool({ name: 'bulk.text', description: 'A long text', input: z.object({}), run: () => 'x'.repeat(150_000) });
const bulkCalls = 8;

let runtime: TestRuntime;
let original: SessionEvent[];
beforeAll(async () => {
  runtime = await startTestRuntime({
    actor: {
      resolveModel: (agent) =>
        agent.model === 'scripted' ? { provider: createScriptedProvider(agent.script ?? []), costOf: () => 0 } : { provider: reader, costOf: () => 0.001 },
    },
    tools: [...countedTools, bulk],
    agents: [
      { name: 'summariser', model: 'test/reader', tools: ['workspace.read'] },
      { name: 'reader-of-long-texts', model: 'scripted', tools: [bulk.name], script: [...Array.from({ length: bulkCalls }, () => ({ tool: bulk.name, input: {} })), { final: 'read them all' }] },
    ],
  });
  await runtime.client.submit('summariser', { input: 'Summarise notes.md', sessionId: 'original' });
  original = await runtime.completedSession('original');
});
afterAll(() => runtime.dispose());

const failedAt = () => original.find((event) => event.type === 'tool.failed')?.n ?? 0;

describe('forking a session', () => {
  it('fails the original because its tool call failed', () => {
    expect(original.map((event) => event.type)).toEqual([
      'session.created', 'model.requested', 'model.responded', 'tool.requested', 'permission.granted', 'tool.failed', 'model.requested', 'model.failed', 'session.completed',
    ]);
    expect(original.at(-1)).toMatchObject({ data: { status: 'failed' } });
    // Replay shows where and why, and the current decider reproduces the run.
    const timeline = replayTimeline(original, { colour: false }).join('\n');
    expect(timeline).toMatch(/tool\.failed[\s\S]*notes\.md/);
    expect(timeline).toMatch(/cannot summarise notes I could not read/);
    expect(checkHistory(original)).toMatchObject({ ok: true });
  });

  it('checks a stored run from the client as `replay --check` does', async () => {
    expect(await runtime.client.check('original')).toMatchObject({ ok: true });
  });

  it('completes a fork whose failed tool result is edited, and diff names the divergence', async () => {
    const forkId = await runtime.client.fork('original', { at: failedAt(), toolOutput: 'remember the milk', sessionId: 'edited' });
    const fork = await runtime.completedSession(forkId);

    expect(fork[0]).toMatchObject({ type: 'session.created', data: { forkedFrom: { sessionId: 'original', n: 6 } } });
    expect(fork[5]).toMatchObject({ type: 'tool.completed', n: 6, data: { callId: 'call_1', output: 'remember the milk' } });
    expect(fork.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'The notes say: remember the milk' } });

    const diff = diffSessions(original, fork);
    expect(diff.divergence).toMatchObject({ n: 6, a: { type: 'tool.failed' }, b: { type: 'tool.completed' } });
    expect([diff.a.status, diff.b.status]).toEqual(['failed', 'succeeded']);
    expect(checkHistory(fork)).toMatchObject({ ok: true });
  });

  it('reproduces the original without calling a model or a tool when hermetic and unedited', async () => {
    const [modelsBefore, toolsBefore] = [modelCalls, toolRuns];
    const atFailure = await runtime.completedSession(await runtime.client.fork('original', { at: failedAt(), hermetic: true }));
    const fromTheStart = await runtime.completedSession(await runtime.client.fork('original', { at: 2, hermetic: true }));

    expect([modelCalls - modelsBefore, toolRuns - toolsBefore]).toEqual([0, 0]);
    expect(diffSessions(original, atFailure).divergence).toBeUndefined();
    expect(diffSessions(original, fromTheStart).divergence).toBeUndefined();
    expect(fromTheStart[0]).toMatchObject({ data: { forkedFrom: { sessionId: 'original', n: 2, hermetic: true } } });
  });

  it('calls the model once a hermetic fork asks something the original did not', async () => {
    const before = modelCalls;
    const fork = await runtime.completedSession(await runtime.client.fork('original', { at: failedAt(), toolOutput: 'eggs', hermetic: true }));
    expect(modelCalls - before).toBe(1);
    expect(fork.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'The notes say: eggs' } });
  });

  it('goes on from a call requested but not yet allowed: checked again, answered with its recorded result, not run again', async () => {
    const requested = original.find((event) => event.type === 'tool.requested')?.n ?? 0;
    const toolsBefore = toolRuns;
    const fork = await runtime.completedSession(await runtime.client.fork('original', { at: requested }));
    expect(fork.slice(requested).map((event) => event.type)).toEqual(['permission.granted', 'tool.failed', 'model.requested', 'model.failed', 'session.completed']);
    expect(fork.find((event) => event.type === 'tool.failed')?.data).toEqual(original.find((event) => event.type === 'tool.failed')?.data);
    expect(toolRuns).toBe(toolsBefore);
  });

  it('refuses a fork at or after completion, and an edit that does not fit the event', async () => {
    await expect(runtime.client.fork('original', { at: 9 })).rejects.toThrow(/completed at event 9/);
    await expect(runtime.client.fork('original', { at: 3, toolOutput: 'x' })).rejects.toThrow(/event 3 is model.responded/);
  });
});

describe('forking a long session', () => {
  it('forks an original whose first events are more than one NATS message can carry', async () => {
    await runtime.client.submit('reader-of-long-texts', { input: 'read', sessionId: 'long' });
    const long = await runtime.completedSession('long');
    const at = (long.findLast((event) => event.type === 'tool.completed')?.n ?? 0);
    const prefixBytes = JSON.stringify(long.slice(0, at)).length;
    expect(prefixBytes).toBeGreaterThan(bulkCalls * 150_000);

    const fork = await runtime.completedSession(await runtime.client.fork('long', { at, hermetic: true }), 20_000);

    expect(fork).toHaveLength(long.length);
    expect(diffSessions(long, fork).divergence).toBeUndefined();
  });
});
