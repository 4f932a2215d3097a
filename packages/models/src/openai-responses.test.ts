import type { ModelRequest } from '@signalbox/events';
import {
  delayed,
  malformedJson,
  openaiErrors,
  responsesFunctionCalls,
  responsesMessage,
  responsesReply,
  responsesText,
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

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.baseURL, api: 'responses', maxRetries: 0, ...options });

const readTool = {
  name: 'workspace.read',
  description: 'Read a file',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
};

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'gpt-4.1',
    system: 'You are careful.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    tools: [readTool],
    maxTokens: 512,
    ...overrides,
  };
}

describe('openai responses adapter: requests and replies', () => {
  it('sends instructions, input items and function tools, and maps the reply', async () => {
    fake.reply(responsesText('Hi there', { usage: { input: 1_200, output: 7, cached: 1_000 } }));
    const response = await provider().complete(request());

    expect(response).toEqual({
      model: 'gpt-4.1-2025-04-14',
      content: [{ type: 'text', text: 'Hi there' }],
      stopReason: 'end_turn',
      // input_tokens counts the cached ones too; Usage keeps them apart.
      usage: { inputTokens: 200, outputTokens: 7, cacheReadTokens: 1_000, cacheWriteTokens: 0 },
    });
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/v1/responses');
    expect(sent?.headers['authorization']).toBe('Bearer sk-test');
    expect(sent?.body).toEqual({
      model: 'gpt-4.1',
      instructions: 'You are careful.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
      tools: [{ type: 'function', name: 'workspace__read', description: 'Read a file', parameters: readTool.inputSchema, strict: false }],
      max_output_tokens: 512,
      store: false,
    });
  });

  it('carries function calls across turns as function_call and function_call_output items', async () => {
    fake.reply(
      responsesFunctionCalls([{ id: 'call_1', name: 'workspace__read', input: { path: 'a.txt' } }]),
      responsesText('The file says hello.'),
    );
    const model = provider();
    const first = await model.complete(request());
    expect(first.stopReason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'a.txt' } }]);

    await model.complete(
      request({
        messages: [
          ...request().messages,
          { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }, ...first.content] },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'no such file', isError: true }] },
        ],
      }),
    );
    const input = (fake.requests[1]?.body as { input: unknown[] }).input;
    expect(input.slice(1)).toEqual([
      { role: 'assistant', content: 'Reading.' },
      { type: 'function_call', call_id: 'call_1', name: 'workspace__read', arguments: '{"path":"a.txt"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'Error: no such file' },
    ]);
  });

  it('sends images as data URLs', async () => {
    fake.reply(responsesText('A cat.'));
    const image = { type: 'image' as const, mediaType: 'image/jpeg' as const, data: '/9j/4AAQ' };
    await provider().complete(request({ messages: [{ role: 'user', content: [image] }] }));
    const input = (fake.requests[0]?.body as { input: Array<{ content: unknown[] }> }).input;
    expect(input[0]?.content).toEqual([{ type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'auto' }]);
  });

  it('maps an incomplete reply cut at max_output_tokens to max_tokens', async () => {
    fake.reply(responsesText('Once upon a', { incompleteReason: 'max_output_tokens' }));
    expect((await provider().complete(request())).stopReason).toBe('max_tokens');
  });

  it('maps refusal content to a refusal, keeping its text', async () => {
    fake.reply(responsesReply([responsesMessage([{ type: 'refusal', refusal: 'I cannot help with that.' }])]));
    const response = await provider().complete(request());
    expect(response.stopReason).toBe('refusal');
    expect(response.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }]);
  });

  it('drops reasoning items and keeps arguments that are not JSON as a string', async () => {
    fake.reply(
      responsesReply([
        { id: 'rs_1', type: 'reasoning', summary: [] },
        { type: 'function_call', call_id: 'call_2', name: 'workspace__read', arguments: '{"path": ' },
      ]),
    );
    const response = await provider().complete(request());
    expect(response.content).toEqual([{ type: 'tool_use', id: 'call_2', name: 'workspace.read', input: '{"path": ' }]);
  });
});

describe('openai responses adapter: structured output', () => {
  const wire = () => fakeWire(() => fake, responsesText, (responseFormat) => provider().complete(request({ responseFormat })));
  itSendsStrictOnlyWhenTheSchemaFits(wire, ({ name, schema }, strict) => ({ text: { format: { type: 'json_schema', name, schema, strict } } }));
  itLeavesRepliesAndRefusesHostileSchemas(wire);
});

describe('openai responses adapter: retries and failures', () => {
  it('waits out retry-after on 429, then succeeds', async () => {
    fake.reply(openaiErrors.rateLimited(1), responsesText('after the wait'));
    const response = await provider({ maxRetries: 2 }).complete(request());
    expect(response.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    const [first, second] = fake.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it.each([
    ['503 overloaded', openaiErrors.overloaded()],
    ['500 internal error', openaiErrors.internal()],
  ])('retries after %s, then succeeds', async (_label, error) => {
    fake.reply(error, responsesText('recovered'));
    expect((await provider({ maxRetries: 1 }).complete(request())).content).toEqual([{ type: 'text', text: 'recovered' }]);
    expect(fake.requests).toHaveLength(2);
  });

  it('401: authentication, not retried, names OPENAI_API_KEY', async () => {
    fake.reply(openaiErrors.unauthorized());
    const error = await failure(provider({ maxRetries: 2 }).complete(request()));
    expect(error).toMatchObject({ code: 'authentication', retryable: false, status: 401 });
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(fake.requests).toHaveLength(1);
  });

  it('404: not_found naming the unknown model', async () => {
    fake.reply(openaiErrors.modelNotFound('gpt-nonexistent'));
    const error = await failure(provider().complete(request({ model: 'gpt-nonexistent' })));
    expect(error).toMatchObject({ code: 'not_found', retryable: false });
    expect(error.message).toContain('"gpt-nonexistent" is unknown');
  });

  it('400 context_length_exceeded: context_too_long', async () => {
    fake.reply(openaiErrors.contextTooLong());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'context_too_long', retryable: false });
  });

  it('500 with retries used up: server_error, retryable', async () => {
    fake.reply(openaiErrors.internal());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'server_error', retryable: true, status: 500 });
  });

  it('a body that is not JSON: bad_response', async () => {
    fake.reply(malformedJson());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'bad_response', retryable: true });
  });

  it('JSON of the wrong shape: bad_response', async () => {
    fake.reply({ kind: 'json', status: 200, body: { object: 'response', model: 'gpt-4.1', output: 'nope' } });
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'bad_response', retryable: true });
  });

  it('no answer within timeoutMs: timeout', async () => {
    fake.reply(delayed(2_000, responsesText('too late')));
    expect(await failure(provider({ timeoutMs: 150 }).complete(request()))).toMatchObject({ code: 'timeout', retryable: true });
  });
});
