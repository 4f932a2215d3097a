import type { Message, ModelRequest, ModelResponse, StopReason, ToolDefinition } from '@signalbox/events';
import type {
  FunctionTool,
  ResponseCreateParamsBase,
  ResponseFormatTextJSONSchemaConfig,
  ResponseInputContent,
  ResponseInputItem,
} from 'openai/resources/responses/responses';
import { z } from 'zod';
import { parseReply } from './http-failures.ts';
import { assembleResponsesStream } from './openai-responses-stream.ts';
import { fitsStrictMode } from './openai-strict.ts';
import { fromArguments, splitCachedInput, toArguments, toolOutput, type OpenAIWireApi } from './openai-wire.ts';
import type { ResponseFormat } from './response-format.ts';
import type { ToolNameMap } from './tool-names.ts';

/** The OpenAI Responses API (`POST /v1/responses`), used statelessly: the event log holds the history. */
export const responsesApi: OpenAIWireApi = {
  send: (client, request, names, options) => client.responses.create(responsesRequest(request, names), options),
  stream: async (client, request, names, options, onText, call) =>
    assembleResponsesStream(await client.responses.create({ ...responsesRequest(request, names), stream: true }, options), onText, call),
  read: (body, names, call) => fromResponsesReply(parseReply(ResponsesReply, body, call), names),
};

function responsesRequest(request: ModelRequest, names: ToolNameMap): Omit<ResponseCreateParamsBase, 'stream'> {
  return {
    model: request.model,
    input: request.messages.flatMap((message) => toInputItems(message, names)),
    max_output_tokens: request.maxTokens,
    // Nothing is kept on OpenAI's side; every call carries the whole conversation.
    store: false,
    ...(request.system ? { instructions: request.system } : {}),
    ...(request.tools.length > 0 ? { tools: request.tools.map((tool) => toFunctionTool(tool, names)) } : {}),
    ...(request.responseFormat ? { text: { format: toTextFormat(request.responseFormat) } } : {}),
  };
}

/** The schema goes as given; `strict` only when it already meets strict mode's rules (see `fitsStrictMode`). */
function toTextFormat({ name, schema }: ResponseFormat): ResponseFormatTextJSONSchemaConfig {
  return { type: 'json_schema', name, schema, strict: fitsStrictMode(schema) };
}

function toFunctionTool(tool: ToolDefinition, names: ToolNameMap): FunctionTool {
  return { type: 'function', name: names.toWire(tool.name), description: tool.description, parameters: tool.inputSchema, strict: false };
}

/** Tool results become `function_call_output` items; text and images stay one message. */
function toInputItems(message: Message, names: ToolNameMap): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  const parts: ResponseInputContent[] = [];
  const texts: string[] = [];
  for (const block of message.content) {
    if (block.type === 'text') {
      parts.push({ type: 'input_text', text: block.text });
      texts.push(block.text);
    } else if (block.type === 'image') {
      parts.push({ type: 'input_image', image_url: `data:${block.mediaType};base64,${block.data}`, detail: 'auto' });
    } else if (block.type === 'tool_use') {
      items.push({ type: 'function_call', call_id: block.id, name: names.toWire(block.name), arguments: toArguments(block.input) });
    } else {
      items.push({ type: 'function_call_output', call_id: block.toolUseId, output: toolOutput(block.content, block.isError) });
    }
  }
  if (message.role === 'assistant' && texts.length > 0) items.unshift({ role: 'assistant', content: texts.join('\n\n') });
  if (message.role === 'user' && parts.length > 0) items.push({ role: 'user', content: parts });
  return items;
}

const OutputText = z.object({ type: z.literal('output_text'), text: z.string() });
const Refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });
const OutputMessage = z.object({
  type: z.literal('message'),
  content: z.array(z.union([OutputText, Refusal])),
});
const FunctionCall = z.object({ type: z.literal('function_call'), call_id: z.string(), name: z.string(), arguments: z.string() });
// Reasoning and built-in tool items carry nothing the runtime uses; they are dropped.
const OtherItem = z
  .object({ type: z.string().refine((type) => type !== 'message' && type !== 'function_call') })
  .transform(() => undefined);

const ResponsesReply = z.object({
  model: z.string(),
  output: z.array(z.union([OutputMessage, FunctionCall, OtherItem])),
  incomplete_details: z.object({ reason: z.string().nullish() }).nullish(),
  usage: z
    .object({
      input_tokens: z.number().int().nonnegative(),
      output_tokens: z.number().int().nonnegative(),
      input_tokens_details: z
        .object({
          cached_tokens: z.number().int().nonnegative().nullish(),
          cache_write_tokens: z.number().int().nonnegative().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
type ResponsesReply = z.infer<typeof ResponsesReply>;

function fromResponsesReply(reply: ResponsesReply, names: ToolNameMap): ModelResponse {
  const content: ModelResponse['content'] = [];
  let refused = false;
  for (const item of reply.output) {
    if (item?.type === 'function_call') {
      content.push({ type: 'tool_use', id: item.call_id, name: names.fromWire(item.name), input: fromArguments(item.arguments) });
    } else if (item?.type === 'message') {
      for (const part of item.content) {
        refused ||= part.type === 'refusal';
        content.push({ type: 'text', text: part.type === 'refusal' ? part.refusal : part.text });
      }
    }
  }
  const usage = reply.usage;
  return {
    model: reply.model,
    content,
    stopReason: stopReason(reply.incomplete_details?.reason, content, refused),
    usage: splitCachedInput(usage?.input_tokens ?? 0, usage?.output_tokens ?? 0, usage?.input_tokens_details),
  };
}

function stopReason(incomplete: string | null | undefined, content: ModelResponse['content'], refused: boolean): StopReason {
  if (incomplete === 'max_output_tokens') return 'max_tokens';
  if (incomplete === 'content_filter' || refused) return 'refusal';
  return content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
}
