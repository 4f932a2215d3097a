import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import type { ContentBlock, Message, ModelRequest, ModelResponse, StopReason, ToolDefinition, Usage } from '@signalbox/events';
import { z } from 'zod';
import { assembleAnthropicStream } from './anthropic-stream.ts';
import {
  failureFromStatus,
  failureFromStreamError,
  keyOriginOf,
  malformedReply,
  parseReply,
  streamCutOff,
  transportFailure,
  type CallContext,
} from './http-failures.ts';
import { ModelError, requestOptionsOf, type CallOptions, type ModelProvider } from './provider.ts';
import { checkResponseFormat } from './response-format.ts';
import { toolNameMap, type ToolNameMap } from './tool-names.ts';
import { recordableToolInput } from './tool-input.ts';

export interface AnthropicProviderOptions {
  apiKey: string;
  baseURL?: string;
  /** Retries the SDK makes on 408/409/429/5xx/529 and connection errors, honouring `retry-after`. */
  maxRetries?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Provider name in agent definitions and error messages. */
  name?: string;
  /** Named in authentication errors. */
  apiKeyEnv?: string;
  /** The vault secret the key was opened from, named in authentication errors instead of `apiKeyEnv`. */
  apiKeySecret?: string;
}

const ephemeral = { type: 'ephemeral' } as const;

const TextWire = z.object({ type: z.literal('text'), text: z.string() });
const ToolUseWire = z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
// Thinking and server-tool blocks carry nothing the runtime uses; they are dropped.
const OtherWire = z
  .object({ type: z.string().refine((type) => type !== 'text' && type !== 'tool_use') })
  .transform(() => undefined);

const AnthropicReply = z.object({
  model: z.string(),
  content: z.array(z.union([TextWire, ToolUseWire, OtherWire])),
  stop_reason: z.enum([
    'end_turn',
    'max_tokens',
    'stop_sequence',
    'tool_use',
    'pause_turn',
    'refusal',
    'model_context_window_exceeded',
  ]),
  usage: z.object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  }),
});
type AnthropicReply = z.infer<typeof AnthropicReply>;

/** Claude through the Messages API, with the system prompt and tools marked for prompt caching. */
export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const name = options.name ?? 'anthropic';
  const client = new Anthropic({
    apiKey: options.apiKey,
    // Explicit, so the SDK never falls back to ANTHROPIC_BASE_URL behind the configuration's back.
    baseURL: options.baseURL ?? 'https://api.anthropic.com',
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 600_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Failures reach the caller as ModelErrors; the SDK's own console logging would go around pino.
    logLevel: 'off',
  });
  return {
    name,
    async complete(request: ModelRequest, callOptions: CallOptions = {}): Promise<ModelResponse> {
      const call: CallContext = { provider: name, model: request.model, keyOrigin: keyOriginOf(options, 'ANTHROPIC_API_KEY'), apiKey: options.apiKey };
      checkResponseFormat(request, name);
      const names = toolNameMap(request.tools);
      const { signal, onText, onUsage } = callOptions;
      const requestOptions = requestOptionsOf(callOptions);
      let body: unknown;
      try {
        body = onText
          ? await assembleAnthropicStream(await client.messages.create({ ...toWireRequest(request, names), stream: true }, requestOptions), onText, call, onUsage && ((wire) => onUsage(usageSoFar(wire))))
          : await client.messages.create(toWireRequest(request, names), requestOptions);
        // A stream read to its end from the SDK's buffer can finish after the signal fired.
        signal?.throwIfAborted();
      } catch (error) {
        signal?.throwIfAborted();
        throw toModelError(error, call, onText !== undefined);
      }
      return fromWireReply(parseReply(AnthropicReply, body, call), names);
    },
  };
}

function toWireRequest(request: ModelRequest, names: ToolNameMap): Omit<MessageCreateParamsBase, 'stream'> {
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: request.messages.map((message) => toWireMessage(message, names)),
    ...(request.system ? { system: [{ type: 'text', text: request.system, cache_control: ephemeral }] } : {}),
    ...(request.tools.length > 0 ? { tools: toWireTools(request.tools, names) } : {}),
    // Structured output is GA on the Messages API (no beta header); the schema goes as given, and the
    // reply's text block holds the JSON. Anthropic takes no name for it, so `name` stays ours.
    ...(request.responseFormat ? { output_config: { format: { type: 'json_schema', schema: request.responseFormat.schema } } } : {}),
  };
}

/** The cache breakpoint on the last tool caches every tool definition before it too. */
function toWireTools(tools: readonly ToolDefinition[], names: ToolNameMap): Tool[] {
  return tools.map((tool, index) => ({
    name: names.toWire(tool.name),
    description: tool.description,
    input_schema: { ...tool.inputSchema, type: 'object' },
    ...(index === tools.length - 1 ? { cache_control: ephemeral } : {}),
  }));
}

function toWireMessage(message: Message, names: ToolNameMap): MessageParam {
  return { role: message.role, content: message.content.map((block) => toWireBlock(block, names)) };
}

function toWireBlock(block: ContentBlock, names: ToolNameMap): ContentBlockParam {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return { type: 'image', source: { type: 'base64', media_type: block.mediaType, data: block.data } };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: names.toWire(block.name), input: block.input };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: block.toolUseId, content: block.content, is_error: block.isError };
  }
}

function fromWireReply(reply: AnthropicReply, names: ToolNameMap): ModelResponse {
  const content = reply.content.flatMap((block): ModelResponse['content'] => {
    if (block === undefined) return [];
    if (block.type === 'text') return [{ type: 'text', text: block.text }];
    return [{ type: 'tool_use', id: block.id, name: names.fromWire(block.name), input: recordableToolInput(block.input) }];
  });
  return {
    model: reply.model,
    content,
    stopReason: toStopReason(reply.stop_reason),
    // Anthropic already reports input_tokens without the cached part, as Usage expects.
    usage: {
      inputTokens: reply.usage.input_tokens,
      outputTokens: reply.usage.output_tokens,
      cacheReadTokens: reply.usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: reply.usage.cache_creation_input_tokens ?? 0,
    },
  };
}

/** The usage a stream has reported so far, as `Usage` has it (counts not reported yet are 0). */
function usageSoFar(wire: Record<string, unknown>): Usage {
  const count = (field: string) => (typeof wire[field] === 'number' ? wire[field] : 0);
  return { inputTokens: count('input_tokens'), outputTokens: count('output_tokens'), cacheReadTokens: count('cache_read_input_tokens'), cacheWriteTokens: count('cache_creation_input_tokens') };
}

function toStopReason(reason: AnthropicReply['stop_reason']): StopReason {
  return reason === 'model_context_window_exceeded' ? 'max_tokens' : reason;
}

/** `streamed`: a failure the mapping does not know broke the stream off (the socket closed mid-body, say). */
function toModelError(error: unknown, call: CallContext, streamed: boolean): unknown {
  if (error instanceof ModelError) return error;
  if (error instanceof APIConnectionTimeoutError) return transportFailure('timeout', call, error);
  if (error instanceof APIConnectionError) return transportFailure('connection', call, error);
  if (error instanceof APIError && error.status !== undefined) {
    return failureFromStatus(error.status, error.apiMessage ?? error.message, call, error);
  }
  // An `error` event inside a stream that had begun: `{ type: 'error', error: { type, message } }`.
  if (error instanceof APIError) return failureFromStreamError(error.type ?? undefined, error.apiMessage ?? error.message, call, error);
  if (error instanceof SyntaxError) return malformedReply(call, streamed ? 'a stream event is not JSON' : 'the body is not JSON', error);
  return streamed ? streamCutOff(call, error) : error;
}
