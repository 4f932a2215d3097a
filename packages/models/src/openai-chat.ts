import type { Message, ModelRequest, ModelResponse, StopReason, ToolDefinition } from '@signalbox/events';
import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsBase,
  ChatCompletionFunctionTool,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions/completions';
import type { ResponseFormatJSONSchema } from 'openai/resources/shared';
import { z } from 'zod';
import { parseReply } from './http-failures.ts';
import { assembleChatStream } from './openai-chat-stream.ts';
import { fitsStrictMode } from './openai-strict.ts';
import { fromArguments, splitCachedInput, toArguments, toolOutput, type OpenAIWireApi } from './openai-wire.ts';
import type { ResponseFormat } from './response-format.ts';
import type { ToolNameMap } from './tool-names.ts';
import { recordableToolInput } from './tool-input.ts';

/** Chat Completions (`POST /v1/chat/completions`): what Ollama, vLLM and llama.cpp serve. */
export const chatCompletionsApi: OpenAIWireApi = {
  send: (client, request, names, options) => client.chat.completions.create(chatRequest(request, names), options),
  stream: async (client, request, names, options, onText, call) => {
    // Usage comes in a last chunk of its own only when asked for.
    const params = { ...chatRequest(request, names), stream: true as const, stream_options: { include_usage: true } };
    return assembleChatStream(await client.chat.completions.create(params, options), onText, call);
  },
  read: (body, names, call) => fromChatReply(parseReply(ChatReply, body, call), names),
};

function chatRequest(request: ModelRequest, names: ToolNameMap): Omit<ChatCompletionCreateParamsBase, 'stream'> {
  return {
    model: request.model,
    messages: [
      ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
      ...request.messages.flatMap((message) => toChatMessages(message, names)),
    ],
    // `max_tokens`, not `max_completion_tokens`: the compatible servers this API is for know only the former.
    max_tokens: request.maxTokens,
    ...(request.tools.length > 0 ? { tools: request.tools.map((tool) => toChatTool(tool, names)) } : {}),
    ...(request.responseFormat ? { response_format: toResponseFormat(request.responseFormat) } : {}),
  };
}

/** The schema goes as given; `strict` only when it already meets strict mode's rules (see `fitsStrictMode`). */
function toResponseFormat({ name, schema }: ResponseFormat): ResponseFormatJSONSchema {
  return { type: 'json_schema', json_schema: { name, schema, strict: fitsStrictMode(schema) } };
}

function toChatTool(tool: ToolDefinition, names: ToolNameMap): ChatCompletionFunctionTool {
  return { type: 'function', function: { name: names.toWire(tool.name), description: tool.description, parameters: tool.inputSchema } };
}

/** Tool results become `role: 'tool'` messages, which must directly follow the assistant's calls. */
function toChatMessages(message: Message, names: ToolNameMap): ChatCompletionMessageParam[] {
  const results: ChatCompletionMessageParam[] = [];
  const parts: ChatCompletionContentPart[] = [];
  const calls: ChatCompletionMessageFunctionToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image') {
      parts.push({ type: 'image_url', image_url: { url: `data:${block.mediaType};base64,${block.data}` } });
    } else if (block.type === 'tool_use') {
      calls.push({ id: block.id, type: 'function', function: { name: names.toWire(block.name), arguments: toArguments(block.input) } });
    } else results.push({ role: 'tool', tool_call_id: block.toolUseId, content: toolOutput(block.content, block.isError) });
  }
  const text = parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n\n');
  if (message.role === 'assistant') {
    return [{ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
  }
  if (parts.length === 0) return results;
  // Plain strings where possible: some compatible servers accept content arrays only with images.
  const onlyText = parts.every((part) => part.type === 'text');
  return [...results, { role: 'user', content: onlyText ? text : parts }];
}

const ToolCall = z.object({
  // Some compatible servers leave out the id; one is made up below so the result can still refer to it.
  id: z.string().optional(),
  function: z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]) }),
});

const ChatReply = z.object({
  model: z.string(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(ToolCall).nullish(),
        }),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative(),
      prompt_tokens_details: z
        .object({
          cached_tokens: z.number().int().nonnegative().nullish(),
          cache_write_tokens: z.number().int().nonnegative().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
type ChatReply = z.infer<typeof ChatReply>;

function fromChatReply(reply: ChatReply, names: ToolNameMap): ModelResponse {
  const [choice] = reply.choices;
  const message = choice!.message;
  const content: ModelResponse['content'] = [];
  const text = message.refusal ?? message.content;
  if (text) content.push({ type: 'text', text });
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    const input = typeof call.function.arguments === 'string' ? fromArguments(call.function.arguments) : recordableToolInput(call.function.arguments);
    content.push({ type: 'tool_use', id: call.id ?? `call_${index}`, name: names.fromWire(call.function.name), input });
  }
  const usage = reply.usage;
  return {
    model: reply.model,
    content,
    stopReason: stopReason(choice!.finish_reason, content, Boolean(message.refusal)),
    usage: splitCachedInput(usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0, usage?.prompt_tokens_details),
  };
}

/** Tool calls win over `stop`: some compatible servers report `stop` even when the model called tools. */
function stopReason(finish: string | null | undefined, content: ModelResponse['content'], refused: boolean): StopReason {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'content_filter' || refused) return 'refusal';
  return content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
}
