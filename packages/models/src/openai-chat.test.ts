import type { ModelRequest } from '@signalbox/events';
import {
  chatCompletion,
  chatText,
  chatToolCalls,
  delayed,
  malformedJson,
  openaiError,
  openaiErrors,
  startFakeOpenAI,
  type FakeOpenAI,
} from '@signalbox/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIProvider, type OpenAIProviderOptions } from './openai.ts';
import { fakeWire, itLeavesRepliesAndRefusesHostileSchemas, itSendsStrictOnlyWhenTheSchemaFits } from './structured-output.fixtures.ts';
import { failure } from './failure.fixtures.ts';

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.close();
});

// As the registry configures a local Ollama: a name of its own and no real key.
const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'no-key', baseURL: fake.baseURL, api: 'chat', name: 'ollama', maxRetries: 0, ...options });

const readTool = { name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } };

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'llama3.2',
    system: 'You are careful.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    tools: [readTool],
    maxTokens: 256,
    ...overrides,
  };
}

describe('openai chat adapter: requests and replies', () => {
  it('sends a system message and function tools, and maps the reply', async () => {
    fake.reply(chatText('Hi there', { usage: { input: 50, output: 4, cached: 30 } }));
    const model = provider();
    expect(model.name).toBe('ollama');
    const response = await model.complete(request());

    expect(response).toEqual({
      model: 'llama3.2',
      content: [{ type: 'text', text: 'Hi there' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 20, outputTokens: 4, cacheReadTokens: 30, cacheWriteTokens: 0 },
    });
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    expect(fake.requests[0]?.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'You are careful.' },
        { role: 'user', content: 'Hello' },
      ],
      tools: [{ type: 'function', function: { name: 'workspace__read', description: 'Read a file', parameters: { type: 'object' } } }],
      max_tokens: 256,
    });
  });

  it('carries tool calls across turns as tool_calls and role "tool" messages', async () => {
    fake.reply(chatToolCalls([{ id: 'call_1', name: 'workspace__read', input: { path: 'a.txt' } }]), chatText('It says hello.'));
    const model = provider();
    const first = await model.complete(request());
    expect(first.stopReason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'a.txt' } }]);

    await model.complete(
      request({
        messages: [
          ...request().messages,
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', toolUseId: 'call_1', content: 'hello', isError: false },
              { type: 'text', text: 'Be brief.' },
            ],
          },
        ],
      }),
    );
    const messages = (fake.requests[1]?.body as { messages: unknown[] }).messages;
    expect(messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'workspace__read', arguments: '{"path":"a.txt"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'hello' },
      { role: 'user', content: 'Be brief.' },
    ]);
  });

  it('sends images as image_url parts with data URLs', async () => {
    fake.reply(chatText('A cat.'));
    const image = { type: 'image' as const, mediaType: 'image/png' as const, data: 'iVBORw0KGgo=' };
    await provider().complete(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'What?' }, image] }] }));
    const messages = (fake.requests[0]?.body as { messages: Array<{ content: unknown }> }).messages;
    expect(messages[1]?.content).toEqual([
      { type: 'text', text: 'What?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ]);
  });

  it.each([
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
    ['stop', 'end_turn'],
  ])('maps finish_reason %s to %s', async (finishReason, expected) => {
    fake.reply(chatText('text', { finishReason }));
    expect((await provider().complete(request())).stopReason).toBe(expected);
  });

  it('treats tool calls as tool_use even when the server says "stop"', async () => {
    fake.reply(chatToolCalls([{ id: 'call_9', name: 'workspace__read', input: {} }], { finishReason: 'stop' }));
    expect((await provider().complete(request())).stopReason).toBe('tool_use');
  });

  it('accepts a tool call without an id, as some compatible servers send', async () => {
    fake.reply(chatCompletion({ tool_calls: [{ function: { name: 'workspace__read', arguments: '{}' } }] }));
    expect((await provider().complete(request())).content).toEqual([{ type: 'tool_use', id: 'call_0', name: 'workspace.read', input: {} }]);
  });
});

describe('openai chat adapter: structured output', () => {
  const wire = () => fakeWire(() => fake, chatText, (responseFormat) => provider().complete(request({ responseFormat })));
  itSendsStrictOnlyWhenTheSchemaFits(wire, ({ name, schema }, strict) => ({ response_format: { type: 'json_schema', json_schema: { name, schema, strict } } }));
  itLeavesRepliesAndRefusesHostileSchemas(wire);
});

describe('openai chat adapter: retries and failures', () => {
  it('waits out retry-after on 429, then succeeds', async () => {
    fake.reply(openaiErrors.rateLimited(1), chatText('after the wait'));
    await provider({ maxRetries: 1 }).complete(request());
    const [first, second] = fake.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('retries after 500, then succeeds', async () => {
    fake.reply(openaiErrors.internal(), chatText('recovered'));
    expect((await provider({ maxRetries: 1 }).complete(request())).content).toEqual([{ type: 'text', text: 'recovered' }]);
  });

  it('401 from a compatible server names the provider and its key variable', async () => {
    fake.reply(openaiErrors.unauthorized());
    const error = await failure(provider({ apiKeyEnv: 'VLLM_API_KEY' }).complete(request()));
    expect(error).toMatchObject({ code: 'authentication', retryable: false });
    expect(error.message).toContain('ollama/llama3.2');
    expect(error.message).toContain('VLLM_API_KEY');
  });

  it('404: not_found naming the unknown model', async () => {
    fake.reply(openaiError(404, { message: 'model "llama9" not found, try pulling it first', type: 'api_error' }));
    const error = await failure(provider().complete(request({ model: 'llama9' })));
    expect(error).toMatchObject({ code: 'not_found' });
    expect(error.message).toContain('"llama9" is unknown');
  });

  it('400 from llama.cpp when the context is full: context_too_long', async () => {
    fake.reply(
      openaiError(400, { message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error' }),
    );
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'context_too_long' });
  });

  it('other 400s: invalid_request, not retryable', async () => {
    fake.reply(openaiError(400, { message: 'tools are not supported by this model', type: 'invalid_request_error' }));
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'invalid_request', retryable: false });
  });

  it('a body that is not JSON: bad_response', async () => {
    fake.reply(malformedJson());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'bad_response' });
  });

  it('no choices: bad_response', async () => {
    fake.reply({ kind: 'json', status: 200, body: { model: 'llama3.2', choices: [] } });
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'bad_response' });
  });

  it('no answer within timeoutMs: timeout', async () => {
    fake.reply(delayed(2_000, chatText('too late')));
    expect(await failure(provider({ timeoutMs: 150 }).complete(request()))).toMatchObject({ code: 'timeout', retryable: true });
  });
});
