import type { ModelRequest, ModelResponse, Usage } from '@signalbox/events';
import {
  anthropicErrors,
  anthropicStreamError,
  anthropicStreamOf,
  anthropicText,
  anthropicToolUse,
  chatStreamOf,
  chatText,
  chatToolCalls,
  openaiErrors,
  responsesFunctionCalls,
  responsesStreamOf,
  responsesText,
  sseReply,
  startFakeAnthropic,
  startFakeOpenAI,
  typedEvent,
  type FakeReply,
  type RecordedRequest,
  type SseEvent,
  type WireToolCall,
} from '@signalbox/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from './anthropic.ts';
import { createOpenAIProvider } from './openai.ts';
import type { CallOptions, ModelError, ModelProvider } from './provider.ts';
import { verdictFormat } from './structured-output.fixtures.ts';
import { failure } from './failure.fixtures.ts';

/** One adapter, its fake server and how that provider's wire says each thing, so every check runs on all three. */
interface StreamingWire {
  name: string;
  start(): Promise<{ baseURL: string; reply(...replies: FakeReply[]): void; requests: readonly RecordedRequest[]; close(): Promise<void> }>;
  provider(baseURL: string): ModelProvider;
  text(text: string): FakeReply;
  toolCalls(calls: WireToolCall[], text: string): FakeReply;
  streamOf(reply: FakeReply): SseEvent[];
  /** An error the provider sends inside a stream: one worth another try, and one that is not. */
  errorEvent(retryable: boolean): SseEvent;
  retryableCode: ModelError['code'];
  /** Where the request carries the structured-output schema. */
  formatField(body: Record<string, unknown>): unknown;
}

const bodyOf = (reply: FakeReply) => (reply as { body: unknown }).body;

const wires: StreamingWire[] = [
  {
    name: 'anthropic',
    start: startFakeAnthropic,
    provider: (baseURL) => createAnthropicProvider({ apiKey: 'sk-ant-test', baseURL, maxRetries: 0 }),
    text: (text) => anthropicText(text, { usage: { input_tokens: 12, output_tokens: 7, cache_read_input_tokens: 900 } }),
    toolCalls: (calls, text) => anthropicToolUse(calls, { text }),
    streamOf: (reply) => anthropicStreamOf(bodyOf(reply)),
    errorEvent: (retryable) => (retryable ? anthropicStreamError('overloaded_error', 'Overloaded') : anthropicStreamError('invalid_request_error', 'bad')),
    retryableCode: 'overloaded',
    formatField: (body) => (body['output_config'] as { format?: unknown } | undefined)?.format,
  },
  {
    name: 'openai chat',
    start: startFakeOpenAI,
    provider: (baseURL) => createOpenAIProvider({ apiKey: 'sk-test', baseURL, api: 'chat', maxRetries: 0 }),
    text: (text) => chatText(text, { usage: { input: 50, output: 7, cached: 30 } }),
    toolCalls: (calls, text) => chatToolCalls(calls, { text }),
    streamOf: (reply) => chatStreamOf(bodyOf(reply)),
    errorEvent: (retryable) => ({ data: JSON.stringify({ error: retryable ? { message: 'boom', type: 'server_error', code: null } : { message: 'bad', type: 'invalid_request_error', code: 'invalid_prompt' } }) }),
    retryableCode: 'server_error',
    formatField: (body) => body['response_format'],
  },
  {
    name: 'openai responses',
    start: startFakeOpenAI,
    provider: (baseURL) => createOpenAIProvider({ apiKey: 'sk-test', baseURL, api: 'responses', maxRetries: 0 }),
    text: (text) => responsesText(text, { usage: { input: 50, output: 7, cached: 30 } }),
    toolCalls: (calls) => responsesFunctionCalls(calls),
    streamOf: (reply) => responsesStreamOf(bodyOf(reply)),
    errorEvent: (retryable) =>
      typedEvent('response.failed', {
        response: { status: 'failed', error: retryable ? { code: 'rate_limit_exceeded', message: 'slow down' } : { code: 'invalid_prompt', message: 'bad' } },
      }),
    retryableCode: 'rate_limited',
    formatField: (body) => (body['text'] as { format?: unknown } | undefined)?.format,
  },
];

const request = (overrides: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'some-model',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
  tools: [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }],
  maxTokens: 256,
  ...overrides,
});

const textOf = (response: ModelResponse) => response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');

describe.each(wires)('$name adapter, streamed', (wire) => {
  let fake: Awaited<ReturnType<StreamingWire['start']>> | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function provider(...replies: FakeReply[]): Promise<ModelProvider> {
    fake = await wire.start();
    fake.reply(...replies);
    return wire.provider(fake.baseURL);
  }

  async function streamed(model: ModelProvider, options: CallOptions = {}, overrides: Partial<ModelRequest> = {}): Promise<{ response: ModelResponse; pieces: string[] }> {
    const pieces: string[] = [];
    const response = await model.complete(request(overrides), { ...options, onText: (delta) => pieces.push(delta) });
    return { response, pieces };
  }

  it('tells the text in order, in pieces that join to the reply, the same reply as unstreamed, usage and all', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const model = await provider(wire.text(text), wire.text(text));
    const { response, pieces } = await streamed(model);
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(text);
    expect(response).toEqual(await model.complete(request()));
    expect(response.usage.outputTokens).toBe(7);
    const [streamedBody, plainBody] = fake!.requests.map((sent) => sent.body as Record<string, unknown>);
    expect(streamedBody?.['stream']).toBe(true);
    expect(plainBody?.['stream']).not.toBe(true);
    if (wire.name === 'openai chat') expect(streamedBody?.['stream_options']).toEqual({ include_usage: true });
  });

  it("sends the call's trace context as the traceparent header, streamed or not, and none without it", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const model = await provider(wire.text('one'), wire.text('two'), wire.text('three'));
    await streamed(model, { traceparent });
    await model.complete(request(), { traceparent });
    await model.complete(request());
    expect(fake!.requests.map((sent) => sent.headers['traceparent'])).toEqual([traceparent, traceparent, undefined]);
  });

  it('assembles tool calls whose arguments come in pieces', async () => {
    const calls = [
      { id: 'call_1', name: 'workspace__read', input: { path: 'notes/a long file name.md', lines: [1, 2, 3] } },
      { id: 'call_2', name: 'workspace__read', input: { path: 'b.md' } },
    ];
    const model = await provider(wire.toolCalls(calls, 'Reading both.'), wire.toolCalls(calls, 'Reading both.'));
    const { response } = await streamed(model);
    expect(response.stopReason).toBe('tool_use');
    expect(response.content.filter((block) => block.type === 'tool_use')).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'workspace.read', input: calls[0]!.input },
      { type: 'tool_use', id: 'call_2', name: 'workspace.read', input: calls[1]!.input },
    ]);
    expect(response).toEqual(await model.complete(request()));
  });

  it('streams structured output with the schema on the request, the JSON as the text', async () => {
    const verdict = '{"passed":true,"reason":"all tests pass"}';
    const model = await provider(wire.text(verdict));
    const { response, pieces } = await streamed(model, {}, { responseFormat: verdictFormat });
    expect(textOf(response)).toBe(verdict);
    expect(pieces.join('')).toBe(verdict);
    expect(wire.formatField(fake!.requests[0]!.body as Record<string, unknown>)).toMatchObject({ type: 'json_schema' });
  });

  it('stops at the signal mid-stream, with its reason', async () => {
    const controller = new AbortController();
    const model = await provider(wire.text('one two three four five six seven'));
    const reason = new Error('the session was paused');
    const outcome = model.complete(request(), { signal: controller.signal, onText: () => controller.abort(reason) });
    await expect(outcome).rejects.toBe(reason);
  });

  it('maps a stream cut off midway, or one that ends before its last event, to a retryable connection failure', async () => {
    const events = wire.streamOf(wire.text('a reply that never finishes arriving'));
    const cut = await failure((await provider(sseReply(events.slice(0, 4), { cut: true }))).complete(request(), { onText: () => undefined }));
    expect(cut).toMatchObject({ code: 'connection', retryable: true });
    await fake!.close();
    const ended = await failure((await provider(sseReply(events.slice(0, 4)))).complete(request(), { onText: () => undefined }));
    expect(ended).toMatchObject({ code: 'connection', retryable: true });
    expect(ended.message).toMatch(/stream ended before the reply was complete/);
  });

  it.each([true, false])('maps an error event mid-stream to a failure, retryable: %s', async (retryable) => {
    const events = wire.streamOf(wire.text('half a reply and then'));
    const model = await provider(sseReply([...events.slice(0, 4), wire.errorEvent(retryable)]));
    const error = await failure(model.complete(request(), { onText: () => undefined }));
    expect(error.retryable).toBe(retryable);
    if (retryable) expect(error.code).toBe(wire.retryableCode);
    else expect(error.code).toBe('invalid_request');
  });

  it('maps an event that is not JSON to bad_response, printing nothing', async () => {
    const events = wire.streamOf(wire.text('fine so far'));
    const model = await provider(sseReply([...events.slice(0, 3), { event: 'content_block_delta', data: '{"type": "content_block_delta", "ind' }, ...events.slice(3)]));
    expect(await failure(model.complete(request(), { onText: () => undefined }))).toMatchObject({ code: 'bad_response', retryable: true });
  });

  it('keeps an HTTP error before the stream begins as the unstreamed call maps it', async () => {
    const model = await provider(wire.name === 'anthropic' ? anthropicErrors.rateLimited(0) : openaiErrors.rateLimited(0));
    expect(await failure(model.complete(request(), { onText: () => undefined }))).toMatchObject({ code: 'rate_limited', status: 429 });
  });

  it('takes a huge delta and thousands of tiny ones, telling each, and replies with all of it', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const tiny = 'y'.repeat(20_000);
    const events = wire.streamOf(wire.text(`${huge}${tiny}`));
    // The text's own pieces, re-cut: one huge event, then one event a character.
    const model = await provider(sseReply(recut(wire, events, [huge, ...tiny])));
    let told = 0;
    let toldLength = 0;
    const response = await model.complete(request(), {
      onText: (delta) => {
        told += 1;
        toldLength += delta.length;
      },
    });
    expect(textOf(response)).toBe(`${huge}${tiny}`);
    expect(told).toBe(1 + tiny.length);
    expect(toldLength).toBe(huge.length + tiny.length);
  });
});

/** The stream with its text deltas replaced by one delta a piece, in the provider's own shape. */
function recut(wire: StreamingWire, events: SseEvent[], pieces: string[]): SseEvent[] {
  const isDelta = (event: SseEvent) => /"(text_delta|response\.output_text\.delta)"|"delta":\{"content":"/.test(event.data);
  const first = events.findIndex(isDelta);
  const template = events[first]!;
  const kept = events.filter((event) => !isDelta(event));
  const deltas = pieces.map((piece) => ({ ...template, data: withText(template.data, piece) }));
  return [...kept.slice(0, first), ...deltas, ...kept.slice(first)];
}

function withText(data: string, text: string): string {
  const event = JSON.parse(data) as Record<string, unknown>;
  if (event['type'] === 'content_block_delta') return JSON.stringify({ ...event, delta: { type: 'text_delta', text } });
  if (event['type'] === 'response.output_text.delta') return JSON.stringify({ ...event, delta: text });
  const [choice] = event['choices'] as Record<string, unknown>[];
  return JSON.stringify({ ...event, choices: [{ ...choice, delta: { content: text } }] });
}

describe('error events the table above does not send', () => {
  it("maps the Responses API's own `error` event, and an Anthropic error type not known yet, to retryable server errors", async () => {
    const openai = await startFakeOpenAI();
    const anthropic = await startFakeAnthropic();
    try {
      const started = responsesStreamOf(bodyOf(responsesText('half a reply'))).slice(0, 2);
      openai.reply(sseReply([...started, typedEvent('error', { code: 'server_error', message: 'The server had an error', param: null })]));
      const responses = createOpenAIProvider({ apiKey: 'sk-test', baseURL: openai.baseURL, api: 'responses', maxRetries: 0 });
      expect(await failure(responses.complete(request(), { onText: () => undefined }))).toMatchObject({ code: 'server_error', retryable: true });

      anthropic.reply(sseReply([...anthropicStreamOf(bodyOf(anthropicText('half'))).slice(0, 3), anthropicStreamError('brand_new_error', 'something new')]));
      const claude = createAnthropicProvider({ apiKey: 'sk-ant-test', baseURL: anthropic.baseURL, maxRetries: 0 });
      expect(await failure(claude.complete(request(), { onText: () => undefined }))).toMatchObject({ code: 'server_error', retryable: true });
    } finally {
      await openai.close();
      await anthropic.close();
    }
  });
});

describe('usage told as the stream reports it', () => {
  it('tells what an Anthropic stream reported before it broke off: the input, at its start', async () => {
    const anthropic = await startFakeAnthropic();
    try {
      anthropic.reply(sseReply(anthropicStreamOf(bodyOf(anthropicText('half a reply', { usage: { input_tokens: 1_234, output_tokens: 9 } }))).slice(0, 3)));
      const claude = createAnthropicProvider({ apiKey: 'sk-ant-test', baseURL: anthropic.baseURL, maxRetries: 0 });
      const told: Usage[] = [];
      await failure(claude.complete(request(), { onText: () => undefined, onUsage: (usage) => told.push(usage) }));
      expect(told.at(-1)).toMatchObject({ inputTokens: 1_234 });
    } finally {
      await anthropic.close();
    }
  });
});
