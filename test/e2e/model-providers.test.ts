import { anthropicErrors, anthropicText, anthropicToolUse, responsesFunctionCalls, responsesText, type FakeAnthropic, type FakeOpenAI } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProviders, type FakeProviders } from '../support/fake-providers.ts';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let providers: FakeProviders;
let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
let runtime: TestRuntime;

const agent = (name: string, model: string, budget: object = { maxSteps: 5 }) => ({
  name,
  model,
  system: 'You keep notes.',
  tools: ['workspace.write'],
  budget,
});
const writeCall = { id: 'toolu_1', name: 'workspace__write', input: { path: 'a.md', content: 'hi' } };

beforeAll(async () => {
  // One SDK retry per attempt keeps the test fast; the runtime's own attempts show in the log.
  providers = await startFakeProviders(1);
  ({ anthropic, openai } = providers);
  runtime = await startTestRuntime({
    actor: { resolveModel: providers.resolveModel },
    agents: [
      agent('claude', 'anthropic/claude-sonnet-4-6'),
      agent('gpt', 'openai/gpt-4.1'),
      agent('thrifty', 'anthropic/claude-sonnet-4-6', { maxSteps: 5, maxCostUsd: 0.001 }),
    ],
  });
});
afterAll(async () => {
  await runtime.dispose();
  await providers.close();
});

describe('sessions on real provider wire formats', () => {
  it('runs an Anthropic session across tool turns, costs every reply, and logs a retried failure', async () => {
    anthropic.reply(
      anthropicToolUse([writeCall], { usage: { input_tokens: 1_000, output_tokens: 200 } }),
      // The SDK retries once itself; when that fails too, the runtime records it and tries again.
      anthropicErrors.overloaded(),
      anthropicErrors.overloaded(),
      anthropicText('Saved a.md.', { usage: { input_tokens: 1_200, output_tokens: 10 } }),
    );
    await runtime.client.submit('claude', { input: 'save hi', sessionId: 'claude-1' });
    const events = await runtime.completedSession('claude-1');

    expect(events.map((event) => event.type)).toEqual([
      'session.created',
      'model.requested',
      'model.responded',
      'tool.requested',
      'permission.granted',
      'tool.completed',
      'model.requested',
      'model.failed',
      'model.requested',
      'model.responded',
      'session.completed',
    ]);
    expect(events[7]).toMatchObject({ data: { code: 'overloaded', retryable: true, attempt: 1 } });
    expect(events[8]).toMatchObject({ data: { callId: 'm2', attempt: 2 } });
    // claude-sonnet-4-6 at $3 in / $15 out per million tokens.
    expect(events[2]).toMatchObject({ data: { costUsd: 0.006, usage: { inputTokens: 1_000, outputTokens: 200 } } });
    const completed = events.at(-1);
    expect(completed?.type === 'session.completed' && completed.data).toMatchObject({ status: 'succeeded', output: 'Saved a.md.' });
    expect(completed?.type === 'session.completed' && completed.data.totals.costUsd).toBeCloseTo(0.006 + 0.00375, 6);

    const toolTurn = anthropic.requests.at(-1)?.body as { messages: { role: string; content: { type: string }[] }[] };
    expect(toolTurn.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] });
  });

  it('fails the session at once, with what to fix, on an error retrying cannot cure', async () => {
    anthropic.reply(anthropicErrors.unauthorized());
    await runtime.client.submit('claude', { input: 'save hi', sessionId: 'claude-401' });
    const events = await runtime.completedSession('claude-401');
    expect(events.slice(-2)).toMatchObject([
      { type: 'model.failed', data: { code: 'authentication', retryable: false, attempt: 1 } },
      { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('ANTHROPIC_API_KEY') } },
    ]);
  });

  it('pauses a session that goes over maxCostUsd, and goes on when a resume raises it', async () => {
    anthropic.reply(anthropicToolUse([writeCall], { usage: { input_tokens: 1_000, output_tokens: 200 } }));
    await runtime.client.submit('thrifty', { input: 'save hi', sessionId: 'thrifty-1' });
    const paused = await eventsUntil(runtime.client, 'thrifty-1', (seen) => seen.at(-1)?.type === 'session.paused');
    expect(paused.slice(-2)).toMatchObject([
      { type: 'budget.exceeded', data: { limit: 'maxCostUsd', allowed: 0.001, used: 0.006 } },
      { type: 'session.paused', data: { fromBudget: true } },
    ]);
    anthropic.reply(anthropicText('Saved a.md.', { usage: { input_tokens: 1_200, output_tokens: 10 } }));
    await runtime.client.resume('thrifty-1', { by: 'test', maxCostUsd: 1 });
    const events = await runtime.completedSession('thrifty-1');
    expect(events.slice(paused.length)).toMatchObject([
      { type: 'session.resumed', data: { by: 'test', budget: { maxCostUsd: 1 } } },
      { type: 'tool.requested' },
      { type: 'permission.granted', data: { callId: 'toolu_1' } },
      { type: 'tool.completed' },
      { type: 'model.requested' },
      { type: 'model.responded' },
      { type: 'session.completed', data: { status: 'succeeded', output: 'Saved a.md.' } },
    ]);
  });

  it('runs an OpenAI Responses session across tool turns', async () => {
    openai.reply(
      responsesFunctionCalls([{ id: 'call_1', name: 'workspace__write', input: { path: 'b.md', content: 'yo' } }]),
      responsesText('Saved b.md.'),
    );
    await runtime.client.submit('gpt', { input: 'save yo', sessionId: 'gpt-1' });
    const events = await runtime.completedSession('gpt-1');
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'Saved b.md.' } });
    const responded = events.filter((event) => event.type === 'model.responded');
    expect(responded.every((event) => event.type === 'model.responded' && event.data.costUsd > 0)).toBe(true);
    const second = openai.requests.at(-1)?.body as { input: { type?: string; call_id?: string }[] };
    expect(second.input).toContainEqual(expect.objectContaining({ type: 'function_call_output', call_id: 'call_1' }));
  });
});
