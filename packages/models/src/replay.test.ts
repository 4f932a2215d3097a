import type { ModelRequest, ModelResponse } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { ModelError } from './provider.ts';
import { createReplayProvider } from './replay.ts';

const request: ModelRequest = { model: 'claude-sonnet-4-6', messages: [], tools: [], maxTokens: 100 };
const usage = { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 };
const recorded: ModelResponse[] = [
  { model: 'claude-sonnet-4-6', content: [{ type: 'tool_use', id: 't1', name: 'workspace.read', input: { path: 'a' } }], stopReason: 'tool_use', usage },
  { model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'done' }], stopReason: 'end_turn', usage },
];

describe('createReplayProvider', () => {
  it('answers each call with the next recorded response, then refuses', async () => {
    const replay = createReplayProvider(recorded);
    expect(replay.name).toBe('replay');
    expect(await replay.complete(request)).toEqual(recorded[0]);
    expect(await replay.complete(request)).toEqual(recorded[1]);
    const error = await replay.complete(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'script_exhausted', retryable: false });
    expect((error as Error).message).toContain('call 3');
  });

  it('hands out copies, so the recording cannot be changed through them', async () => {
    const replay = createReplayProvider(recorded);
    const first = await replay.complete(request);
    first.content.length = 0;
    expect(recorded[0]?.content).toHaveLength(1);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(createReplayProvider(recorded).complete(request, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
