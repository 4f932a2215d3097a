import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { anthropicError, openaiError, startFakeAnthropic, startFakeOpenAI, type FakeAnthropic, type FakeOpenAI } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const anthropicKey = 'sk-ant-api03-Echo9Qw3ErTy9UiOp2AsDf5GhJk8LzXc4VbNm1Qw6ErT-EEEEEE';
/** A key with no telling shape: only knowing the configuration finds it. */
const openaiKey = 'gateway-opaque-7f3a9c2e81d4b6';

/** An error body echoing the key in every form it travels in. */
const echoing = (key: string) =>
  [
    `invalid key ${key}`,
    `Authorization: Bearer ${key}`,
    `x-api-key=${encodeURIComponent(key)}`,
    `basic ${Buffer.from(`user:${key}`).toString('base64')}`,
  ].join('; ');

let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
let runtime: TestRuntime;
beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
  const env = {
    ANTHROPIC_API_KEY: anthropicKey,
    ANTHROPIC_BASE_URL: anthropic.baseURL,
    OPENAI_API_KEY: openaiKey,
    OPENAI_BASE_URL: openai.baseURL,
    SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 }, openai: { maxRetries: 0 } }),
  };
  runtime = await startTestRuntime({
    actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))) },
    agents: [
      { name: 'claude', model: 'anthropic/claude-sonnet-4-6', tools: [] },
      { name: 'gpt', model: 'openai/gpt-4.1', tools: [] },
    ],
  });
});
afterAll(async () => {
  await runtime.dispose();
  await Promise.all([anthropic.close(), openai.close()]);
});

describe('a provider error that echoes the API key', () => {
  it.each([
    ['claude', anthropicKey, () => anthropic.reply(anthropicError(401, 'authentication_error', echoing(anthropicKey)))],
    ['gpt', openaiKey, () => openai.reply(openaiError(401, { message: echoing(openaiKey), type: 'invalid_request_error' }))],
  ])('is recorded without it by %s: model.failed, session.completed and the session index', async (agent, key, planFailure) => {
    planFailure();
    const sessionId = `echo-${agent}`;
    await runtime.client.submit(agent, { input: 'hello', sessionId });
    const events = await runtime.completedSession(sessionId);
    expect(events.slice(-2)).toMatchObject([
      { type: 'model.failed', data: { code: 'authentication', message: expect.stringContaining('[redacted]') } },
      { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('[redacted]') } },
    ]);
    const index = (await runtime.client.sessions()).find((entry) => entry.sessionId === sessionId);
    expect(index).toBeDefined();
    const recorded = JSON.stringify({ events, index });
    for (const form of [key, encodeURIComponent(key), Buffer.from(`user:${key}`).toString('base64').slice(4)]) expect(recorded).not.toContain(form);
  });
});
