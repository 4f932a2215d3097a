import { startFakeHttp, type FakeHttpServer, type FakeReply } from './fake-http.ts';
import type { WireToolCall } from './fake-anthropic.ts';
import { chatStreamOf, responsesStreamOf } from './fake-streams.ts';

/**
 * A local stand-in for the OpenAI API and OpenAI-compatible servers: `POST /v1/responses` and
 * `POST /v1/chat/completions` share one reply queue; a planned reply serves a streamed call as its stream.
 */
export interface FakeOpenAI extends Omit<FakeHttpServer, 'origin'> {
  /** Pass as the SDK's `baseURL` (it ends in `/v1`). */
  readonly baseURL: string;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const http = await startFakeHttp({
    paths: ['/v1/responses', '/v1/chat/completions'],
    notFound: (path) => openaiError(404, { message: `Invalid URL (POST ${path})`, type: 'invalid_request_error' }),
    unplanned: () => openaiError(500, { message: 'fake OpenAI server: no reply was planned for this request', type: 'server_error' }),
    streamOf: (path, body) => (path === '/v1/responses' ? responsesStreamOf(body) : chatStreamOf(body)),
  });
  return { baseURL: `${http.origin}/v1`, requests: http.requests, reply: http.reply, close: http.close };
}

export interface OpenAIUsage {
  input: number;
  output: number;
  cached: number;
}

export interface ResponsesOptions {
  model?: string;
  /** `max_output_tokens` or `content_filter`: marks the response incomplete. */
  incompleteReason?: string;
  usage?: Partial<OpenAIUsage>;
}

/** A 200 Responses API reply with the given output items. */
export function responsesReply(output: unknown[], options: ResponsesOptions = {}): FakeReply {
  const usage = { input: 20, output: 8, cached: 0, ...options.usage };
  return json({
    id: 'resp_fake',
    object: 'response',
    created_at: 1_700_000_000,
    status: options.incompleteReason ? 'incomplete' : 'completed',
    incomplete_details: options.incompleteReason ? { reason: options.incompleteReason } : null,
    error: null,
    model: options.model ?? 'gpt-4.1-2025-04-14',
    output,
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
  });
}

export function responsesMessage(content: unknown[]): unknown {
  return { id: 'msg_fake', type: 'message', role: 'assistant', status: 'completed', content };
}

export function responsesText(text: string, options: ResponsesOptions = {}): FakeReply {
  return responsesReply([responsesMessage([{ type: 'output_text', text, annotations: [] }])], options);
}

export function responsesFunctionCalls(calls: WireToolCall[], options: ResponsesOptions = {}): FakeReply {
  const items = calls.map((call) => ({
    id: `fc_${call.id}`,
    type: 'function_call',
    status: 'completed',
    call_id: call.id,
    name: call.name,
    arguments: JSON.stringify(call.input),
  }));
  return responsesReply(items, options);
}

export interface ChatOptions {
  model?: string;
  finishReason?: string;
  usage?: Partial<OpenAIUsage>;
}

/** A 200 Chat Completions reply with one choice holding `message`. */
export function chatCompletion(message: Record<string, unknown>, options: ChatOptions = {}): FakeReply {
  const usage = { input: 20, output: 8, cached: 0, ...options.usage };
  const hasCalls = Array.isArray(message['tool_calls']) && message['tool_calls'].length > 0;
  return json({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: options.model ?? 'llama3.2',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, ...message },
        logprobs: null,
        finish_reason: options.finishReason ?? (hasCalls ? 'tool_calls' : 'stop'),
      },
    ],
    usage: {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
      prompt_tokens_details: { cached_tokens: usage.cached },
    },
  });
}

export function chatText(text: string, options: ChatOptions = {}): FakeReply {
  return chatCompletion({ content: text }, options);
}

export function chatToolCalls(calls: WireToolCall[], options: ChatOptions & { text?: string } = {}): FakeReply {
  const toolCalls = calls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.input) },
  }));
  return chatCompletion({ content: options.text ?? null, tool_calls: toolCalls }, options);
}

export interface OpenAIErrorBody {
  message: string;
  type: string;
  code?: string;
  param?: string;
}

/** An error in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export function openaiError(status: number, error: OpenAIErrorBody, headers: Record<string, string> = {}): FakeReply {
  return { kind: 'json', status, headers, body: { error: { param: null, code: null, ...error } } };
}

/** The error replies the real API gives, ready to queue. */
export const openaiErrors = {
  rateLimited: (retryAfterSeconds: number) =>
    openaiError(
      429,
      { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  overloaded: () => openaiError(503, { message: 'The engine is currently overloaded, please try again later', type: 'server_error' }),
  internal: () =>
    openaiError(500, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error' }),
  unauthorized: () =>
    openaiError(401, { message: 'Incorrect API key provided: sk-fake.', type: 'invalid_request_error', code: 'invalid_api_key' }),
  modelNotFound: (model: string) =>
    openaiError(404, {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      code: 'model_not_found',
    }),
  contextTooLong: () =>
    openaiError(400, {
      message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens.",
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
    }),
};

function json(body: unknown): FakeReply {
  return { kind: 'json', status: 200, headers: { 'x-request-id': 'req_fake' }, body };
}
