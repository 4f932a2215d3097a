import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { anthropicToolUse, startFakeAnthropic, type FakeAnthropic } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** A model reply the log cannot hold fails its call once, paid for, and the model is not asked again. */
let anthropic: FakeAnthropic;
let runtime: TestRuntime;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  const env = {
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: anthropic.baseURL,
    SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }),
  };
  runtime = await startTestRuntime({
    actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))) },
    agents: [{ name: 'claude', model: 'anthropic/claude-sonnet-4-6', system: 'You keep notes.', tools: ['workspace.write'], budget: { maxSteps: 5 } }],
  });
});
afterAll(async () => {
  await runtime.dispose();
  await anthropic.close();
});

const nested = (depth: number): unknown => Array.from({ length: depth }).reduce<unknown>((inner) => ({ a: inner }), 'deep');

describe('a model reply the runtime cannot record', () => {
  it('fails that call once with its usage and cost, and the session with the reason', async () => {
    anthropic.reply(anthropicToolUse([{ id: 'toolu_1', name: 'workspace__write', input: nested(120) }], { usage: { input_tokens: 1_000, output_tokens: 200 } }));

    await runtime.client.submit('claude', { input: 'save it', sessionId: 'deep-reply-1' });
    const events = await runtime.completedSession('deep-reply-1');

    expect(anthropic.requests).toHaveLength(1);
    expect(events.map((event) => event.type)).toEqual(['session.created', 'model.requested', 'model.failed', 'session.completed']);
    const failed = events.find((event) => event.type === 'model.failed');
    expect(failed?.data).toMatchObject({
      code: 'unrecordable_reply',
      message: expect.stringMatching(/cannot be recorded: nested more than 64 deep/),
      retryable: false,
      usage: { inputTokens: 1_000, outputTokens: 200 },
      costUsd: expect.any(Number),
    });
    const cost = (failed?.data as { costUsd: number }).costUsd;
    expect(cost).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({
      type: 'session.completed',
      data: { status: 'failed', reason: expect.stringMatching(/unrecordable_reply/), totals: { costUsd: cost, inputTokens: 1_000, outputTokens: 200 } },
    });
    expect(await runtime.client.deadLetters(50)).toEqual([]);
  });
});
