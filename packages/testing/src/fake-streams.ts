import { typedEvent, type SseEvent } from './fake-http.ts';

/** Text cut into pieces of `size` characters, as a model's tokens arrive. */
export function piecesOf(text: string, size = 4): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

interface AnthropicMessageBody {
  model: string;
  content: Record<string, unknown>[];
  stop_reason: string;
  usage: Record<string, number>;
}

/** The Messages API's stream of a message: its text and its tool inputs' JSON come in pieces, its usage at the start and the end. */
export function anthropicStreamOf(body: unknown): SseEvent[] {
  const message = body as AnthropicMessageBody;
  const { output_tokens: outputTokens, ...inputUsage } = message.usage;
  const start = { id: 'msg_fake', type: 'message', role: 'assistant', model: message.model, content: [], stop_reason: null, stop_sequence: null };
  return [
    typedEvent('message_start', { message: { ...start, usage: { ...inputUsage, output_tokens: 1 } } }),
    typedEvent('ping', {}),
    ...message.content.flatMap((block, index) => anthropicBlockEvents(block, index)),
    typedEvent('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: outputTokens } }),
    typedEvent('message_stop', {}),
  ];
}

function anthropicBlockEvents(block: Record<string, unknown>, index: number): SseEvent[] {
  const delta = (fields: Record<string, unknown>) => typedEvent('content_block_delta', { index, delta: fields });
  if (block['type'] === 'text') {
    return [
      typedEvent('content_block_start', { index, content_block: { type: 'text', text: '' } }),
      ...piecesOf(String(block['text'])).map((text) => delta({ type: 'text_delta', text })),
      typedEvent('content_block_stop', { index }),
    ];
  }
  const json = JSON.stringify(block['input']);
  return [
    typedEvent('content_block_start', { index, content_block: { ...block, input: {} } }),
    ...piecesOf(json, 5).map((partial) => delta({ type: 'input_json_delta', partial_json: partial })),
    typedEvent('content_block_stop', { index }),
  ];
}

/** Anthropic's `error` event, which can come at any point of a stream that began with a 200. */
export function anthropicStreamError(type: string, message: string): SseEvent {
  return typedEvent('error', { error: { type, message } });
}

interface ChatCompletionBody {
  model: string;
  choices: { finish_reason: string; message: { content: string | null; refusal: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] } }[];
  usage: unknown;
}

/** Chat Completions' stream of a completion (`stream_options.include_usage`): deltas, the finish reason, a usage-only chunk, `[DONE]`. */
export function chatStreamOf(body: unknown): SseEvent[] {
  const completion = body as ChatCompletionBody;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): SseEvent => ({
    data: JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model: completion.model, choices, ...extra }),
  });
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => chunk([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
  const [first] = completion.choices;
  const message = first!.message;
  const calls = (message.tool_calls ?? []).flatMap((call, index) => [
    choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }),
    ...piecesOf(call.function.arguments, 5).map((part) => choice({ tool_calls: [{ index, function: { arguments: part } }] })),
  ]);
  return [
    choice({ role: 'assistant', content: '' }),
    ...piecesOf(message.content ?? '').map((content) => choice({ content })),
    ...piecesOf(message.refusal ?? '').map((refusal) => choice({ refusal })),
    ...calls,
    choice({}, first!.finish_reason),
    chunk([], { usage: completion.usage }),
    { data: '[DONE]' },
  ];
}

interface ResponsesBody {
  output: { type: string; content?: { type: string; text?: string; refusal?: string }[]; arguments?: string }[];
  status: string;
}

/** The Responses API's stream of a response: created, text and argument deltas, then the whole response again as the last event. */
export function responsesStreamOf(body: unknown): SseEvent[] {
  const response = body as ResponsesBody;
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => typedEvent(type, { ...fields, sequence_number: sequence++ });
  const deltas = response.output.flatMap((item, outputIndex) => {
    if (item.type === 'function_call') {
      return piecesOf(item.arguments ?? '', 5).map((delta) => event('response.function_call_arguments.delta', { output_index: outputIndex, item_id: 'fc', delta }));
    }
    return (item.content ?? []).flatMap((part, contentIndex) => {
      const refusal = part.type === 'refusal';
      const type = refusal ? 'response.refusal.delta' : 'response.output_text.delta';
      const indexes = { item_id: 'msg_fake', output_index: outputIndex, content_index: contentIndex };
      return piecesOf((refusal ? part.refusal : part.text) ?? '').map((delta) => event(type, { ...indexes, delta }));
    });
  });
  const last = response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  return [
    event('response.created', { response: { ...response, status: 'in_progress', output: [] } }),
    ...deltas,
    event(last, { response }),
  ];
}
