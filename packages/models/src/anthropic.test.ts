import type { ModelRequest } from '@signalbox/events';
import {
  anthropicErrors,
  anthropicText,
  anthropicToolUse,
  delayed,
  freePort,
  malformedJson,
  startFakeAnthropic,
  type FakeAnthropic,
} from '@signalbox/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider, type AnthropicProviderOptions } from './anthropic.ts';
import { fakeWire, itLeavesRepliesAndRefusesHostileSchemas, looseFormat, structuredOutputFields } from './structured-output.fixtures.ts';
import { failure } from './failure.fixtures.ts';

let fake: FakeAnthropic;
beforeEach(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  await fake.close();
});

const provider = (options: Partial<AnthropicProviderOptions> = {}) =>
  createAnthropicProvider({ apiKey: 'sk-ant-test', baseURL: fake.baseURL, maxRetries: 0, ...options });

const readTool = {
  name: 'workspace.read',
  description: 'Read a file',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};
const writeTool = { name: 'workspace.write', description: 'Write a file', inputSchema: { type: 'object' } };

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'claude-sonnet-4-6',
    system: 'You are careful.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    tools: [readTool, writeTool],
    maxTokens: 1024,
    ...overrides,
  };
}

describe('anthropic adapter: requests and replies', () => {
  it('sends the system prompt and tools with cache breakpoints and maps the reply', async () => {
    fake.reply(anthropicText('Hi there', { usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 900, cache_creation_input_tokens: 40 } }));
    const response = await provider().complete(request());

    expect(response).toEqual({
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Hi there' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 900, cacheWriteTokens: 40 },
    });
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a bearer token.
    expect(sent?.headers['authorization']).toBe('Bearer sk-ant-test');
    expect(sent?.headers['anthropic-version']).toBeDefined();
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are careful.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      tools: [
        { name: 'workspace__read', description: 'Read a file', input_schema: readTool.inputSchema },
        { name: 'workspace__write', description: 'Write a file', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
      ],
    });
  });

  it('leaves out system and tools when there are none', async () => {
    fake.reply(anthropicText('ok'));
    await provider().complete(request({ system: undefined, tools: [] }));
    const body = fake.requests[0]?.body as Record<string, unknown>;
    expect(body).not.toHaveProperty('system');
    expect(body).not.toHaveProperty('tools');
  });

  it('carries tool use across turns: decoded names out, tool results back in', async () => {
    fake.reply(
      anthropicToolUse([{ id: 'toolu_01', name: 'workspace__read', input: { path: 'a.txt' } }], { text: 'Reading.' }),
      anthropicText('The file says hello.'),
    );
    const model = provider();
    const first = await model.complete(request());
    expect(first.stopReason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Reading.' },
      { type: 'tool_use', id: 'toolu_01', name: 'workspace.read', input: { path: 'a.txt' } },
    ]);

    const second = await model.complete(
      request({
        messages: [
          ...request().messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: 'toolu_01', content: 'hello', isError: false }] },
        ],
      }),
    );
    expect(second.content).toEqual([{ type: 'text', text: 'The file says hello.' }]);
    const messages = (fake.requests[1]?.body as { messages: unknown[] }).messages;
    expect(messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading.' },
          { type: 'tool_use', id: 'toolu_01', name: 'workspace__read', input: { path: 'a.txt' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'hello', is_error: false }] },
    ]);
  });

  it('sends images as base64 sources', async () => {
    fake.reply(anthropicText('A cat.'));
    const image = { type: 'image' as const, mediaType: 'image/png' as const, data: 'iVBORw0KGgo=' };
    await provider().complete(request({ messages: [{ role: 'user', content: [image, { type: 'text', text: 'What is it?' }] }] }));
    const messages = (fake.requests[0]?.body as { messages: Array<{ content: unknown[] }> }).messages;
    expect(messages[0]?.content[0]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
  });

  it.each([
    ['max_tokens', 'max_tokens'],
    ['refusal', 'refusal'],
    ['pause_turn', 'pause_turn'],
    ['stop_sequence', 'stop_sequence'],
    ['model_context_window_exceeded', 'max_tokens'],
  ])('maps stop reason %s to %s', async (wire, expected) => {
    fake.reply(anthropicText('partial', { stopReason: wire }));
    expect((await provider().complete(request())).stopReason).toBe(expected);
  });
});

describe('anthropic adapter: structured output', () => {
  const wire = () => fakeWire(() => fake, anthropicText, (responseFormat) => provider().complete(request({ responseFormat })));

  it('sends output_config.format with the schema as given (no name, no beta header), and returns the JSON text block', async () => {
    // A schema strict rules would reject goes unchanged too: nothing is added to it.
    expect(await structuredOutputFields(wire(), looseFormat)).toEqual({
      output_config: { format: { type: 'json_schema', schema: looseFormat.schema } },
    });
    // GA on the Messages API since the SDK's output_config: no `anthropic-beta` header is needed.
    expect(fake.requests[1]?.headers['anthropic-beta']).toBeUndefined();
  });

  itLeavesRepliesAndRefusesHostileSchemas(wire);
});

describe('anthropic adapter: retries through the SDK', () => {
  it('waits out retry-after on 429, then succeeds', async () => {
    fake.reply(anthropicErrors.rateLimited(1), anthropicText('after the wait'));
    const response = await provider({ maxRetries: 2 }).complete(request());
    expect(response.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    const [first, second] = fake.requests;
    expect(fake.requests).toHaveLength(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(second?.headers['x-stainless-retry-count']).toBe('1');
  });

  it.each([
    ['529 overloaded', anthropicErrors.overloaded()],
    ['500 internal error', anthropicErrors.internal()],
  ])('retries after %s, then succeeds', async (_label, error) => {
    fake.reply(error, anthropicText('recovered'));
    const response = await provider({ maxRetries: 1 }).complete(request());
    expect(response.content).toEqual([{ type: 'text', text: 'recovered' }]);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('anthropic adapter: failures become ModelErrors', () => {
  it('401: authentication, not retried, names ANTHROPIC_API_KEY', async () => {
    fake.reply(anthropicErrors.unauthorized());
    const error = await failure(provider({ maxRetries: 2 }).complete(request()));
    expect(error).toMatchObject({ code: 'authentication', retryable: false, status: 401 });
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(fake.requests).toHaveLength(1);
  });

  it('404: not_found naming the unknown model', async () => {
    fake.reply(anthropicErrors.modelNotFound('claude-nonexistent'));
    const error = await failure(provider().complete(request({ model: 'claude-nonexistent' })));
    expect(error).toMatchObject({ code: 'not_found', retryable: false });
    expect(error.message).toContain('"claude-nonexistent" is unknown');
  });

  it('400 prompt is too long: context_too_long', async () => {
    fake.reply(anthropicErrors.promptTooLong());
    const error = await failure(provider().complete(request()));
    expect(error).toMatchObject({ code: 'context_too_long', retryable: false, status: 400 });
    expect(error.message).toContain('prompt is too long');
  });

  it('429 with retries used up: rate_limited, retryable', async () => {
    fake.reply(anthropicErrors.rateLimited(1));
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
  });

  it('529 with retries used up: overloaded, retryable', async () => {
    fake.reply(anthropicErrors.overloaded());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'overloaded', retryable: true, status: 529 });
  });

  it('a body that is not JSON: bad_response, retryable', async () => {
    fake.reply(malformedJson());
    expect(await failure(provider().complete(request()))).toMatchObject({ code: 'bad_response', retryable: true });
  });

  it('JSON of the wrong shape: bad_response naming the field', async () => {
    fake.reply({ kind: 'json', status: 200, body: { model: 'claude-sonnet-4-6', content: [], stop_reason: 'end_turn' } });
    const error = await failure(provider().complete(request()));
    expect(error).toMatchObject({ code: 'bad_response', retryable: true });
    expect(error.message).toContain('usage');
  });

  it('no answer within timeoutMs: timeout, retryable', async () => {
    fake.reply(delayed(2_000, anthropicText('too late')));
    const error = await failure(provider({ timeoutMs: 150 }).complete(request()));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('nothing listening: connection, retryable', async () => {
    const unused = `http://127.0.0.1:${await freePort()}`;
    const error = await failure(provider({ baseURL: unused }).complete(request()));
    expect(error).toMatchObject({ code: 'connection', retryable: true });
  });

  it('an aborted call rejects with the signal reason, not a ModelError', async () => {
    fake.reply(delayed(2_000, anthropicText('too late')));
    const controller = new AbortController();
    const call = provider().complete(request(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});
