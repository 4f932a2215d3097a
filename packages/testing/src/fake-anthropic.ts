import { startFakeHttp, type FakeHttpServer, type FakeReply } from './fake-http.ts';
import { anthropicStreamOf } from './fake-streams.ts';

/** A local stand-in for the Anthropic Messages API (`POST /v1/messages`), streamed or not. */
export interface FakeAnthropic extends Omit<FakeHttpServer, 'origin'> {
  /** Pass as the SDK's `baseURL`. */
  readonly baseURL: string;
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const http = await startFakeHttp({
    paths: ['/v1/messages'],
    notFound: (path) => anthropicError(404, 'not_found_error', `Not found: ${path}`),
    unplanned: () => anthropicError(500, 'api_error', 'fake Anthropic server: no reply was planned for this request'),
    streamOf: (_path, body) => anthropicStreamOf(body),
  });
  return { baseURL: http.origin, requests: http.requests, reply: http.reply, close: http.close };
}

export interface AnthropicMessageOptions {
  model?: string;
  stopReason?: string;
  usage?: Partial<Record<'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens', number>>;
}

/** A 200 Messages API reply with the given content blocks, shaped as the real API sends it. */
export function anthropicMessage(content: unknown[], options: AnthropicMessageOptions = {}): FakeReply {
  const usesTools = content.some((block) => (block as { type?: unknown }).type === 'tool_use');
  return {
    kind: 'json',
    status: 200,
    headers: { 'request-id': 'req_fake' },
    body: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: options.model ?? 'claude-sonnet-4-6',
      content,
      stop_reason: options.stopReason ?? (usesTools ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
        ...options.usage,
      },
    },
  };
}

export function anthropicText(text: string, options: AnthropicMessageOptions = {}): FakeReply {
  return anthropicMessage([{ type: 'text', text, citations: null }], options);
}

export interface WireToolCall {
  id: string;
  /** The name as it travels on the wire (`workspace__read`). */
  name: string;
  input: unknown;
}

export function anthropicToolUse(calls: WireToolCall[], options: AnthropicMessageOptions & { text?: string } = {}): FakeReply {
  const text = options.text === undefined ? [] : [{ type: 'text', text: options.text, citations: null }];
  const blocks = calls.map((call) => ({ type: 'tool_use', ...call, caller: { type: 'direct' } }));
  return anthropicMessage([...text, ...blocks], options);
}

/** An error in Anthropic's shape: `{ type: 'error', error: { type, message } }`. */
export function anthropicError(status: number, type: string, message: string, headers: Record<string, string> = {}): FakeReply {
  return { kind: 'json', status, headers, body: { type: 'error', error: { type, message }, request_id: 'req_fake' } };
}

/** The error replies the real API gives, ready to queue. */
export const anthropicErrors = {
  rateLimited: (retryAfterSeconds: number) =>
    anthropicError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', {
      'retry-after': String(retryAfterSeconds),
    }),
  overloaded: () => anthropicError(529, 'overloaded_error', 'Overloaded'),
  internal: () => anthropicError(500, 'api_error', 'Internal server error'),
  unauthorized: () => anthropicError(401, 'authentication_error', 'invalid x-api-key'),
  modelNotFound: (model: string) => anthropicError(404, 'not_found_error', `model: ${model}`),
  promptTooLong: () => anthropicError(400, 'invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'),
};
