import { assertNever } from '@signalbox/events';
import { z } from 'zod';
import { malformedReply, streamCutOff, type CallContext } from './http-failures.ts';

/**
 * The Messages API's stream events the reply is assembled from (`message_start`, `content_block_*`,
 * `message_delta`, `message_stop`); `ping` and any type not known yet carry nothing and are passed over.
 */
const Usage = z.record(z.string(), z.unknown());
const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ model: z.string(), usage: Usage.optional() }) }),
  z.object({
    type: z.literal('content_block_start'),
    index: z.number().int().nonnegative(),
    content_block: z.looseObject({ type: z.string(), id: z.string().optional(), name: z.string().optional() }),
  }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number().int().nonnegative(),
    delta: z.looseObject({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }),
  }),
  z.object({
    type: z.literal('message_delta'),
    delta: z.object({ stop_reason: z.string().nullish() }),
    usage: Usage.nullish(),
  }),
  z.object({ type: z.literal('message_stop') }),
]);
type StreamEvent = z.infer<typeof StreamEvent>;
const known = new Set(['message_start', 'content_block_start', 'content_block_delta', 'message_delta', 'message_stop']);

type Block = { type: 'text'; parts: string[] } | { type: 'tool_use'; id: string; name: string; json: string[] } | { type: 'other'; kind: string };

interface Assembly {
  model: string | undefined;
  usage: Record<string, unknown>;
  stopReason: string | null | undefined;
  blocks: Block[];
  stopped: boolean;
}

/**
 * Reads a Messages API stream to its end, telling `onText` each piece of text, and gives back the reply
 * in the non-streaming wire shape, so it is checked and mapped as one: the same reply either way.
 */
export async function assembleAnthropicStream(events: AsyncIterable<unknown>, onText: (delta: string) => void, call: CallContext, onUsage?: (wire: Record<string, unknown>) => void): Promise<unknown> {
  const assembly: Assembly = { model: undefined, usage: {}, stopReason: undefined, blocks: [], stopped: false };
  for await (const raw of events) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !known.has(type)) continue;
    const parsed = StreamEvent.safeParse(raw);
    if (!parsed.success) throw malformedReply(call, `a ${type} stream event of an unexpected shape`, parsed.error);
    apply(assembly, parsed.data, onText, call);
    if (parsed.data.type === 'message_start' || parsed.data.type === 'message_delta') onUsage?.(assembly.usage);
  }
  if (!assembly.stopped) throw streamCutOff(call, undefined);
  return {
    model: assembly.model,
    content: assembly.blocks.map(wireBlock),
    stop_reason: assembly.stopReason,
    usage: assembly.usage,
  };
}

function apply(assembly: Assembly, event: StreamEvent, onText: (delta: string) => void, call: CallContext): void {
  switch (event.type) {
    case 'message_start':
      assembly.model = event.message.model;
      assembly.usage = { ...event.message.usage };
      return;
    case 'content_block_start': {
      // Blocks start in order; one out of order would leave a hole in the reply.
      if (event.index !== assembly.blocks.length) throw malformedReply(call, `content block ${event.index} started out of order`, undefined);
      const block = startBlock(event.content_block);
      assembly.blocks.push(block);
      if (block.type === 'text' && block.parts[0] !== undefined) onText(block.parts[0]);
      return;
    }
    case 'content_block_delta': {
      const block = assembly.blocks[event.index];
      if (!block) throw malformedReply(call, `a delta for content block ${event.index}, which never started`, undefined);
      const { text, partial_json: json } = event.delta;
      if (block.type === 'text' && text !== undefined && text !== '') {
        block.parts.push(text);
        onText(text);
      } else if (block.type === 'tool_use' && json !== undefined) block.json.push(json);
      return;
    }
    case 'message_delta':
      assembly.stopReason = event.delta.stop_reason ?? assembly.stopReason;
      // The delta's counts are cumulative, and a field it leaves out keeps message_start's.
      for (const [field, value] of Object.entries(event.usage ?? {})) if (value !== null && value !== undefined) assembly.usage[field] = value;
      return;
    case 'message_stop':
      assembly.stopped = true;
      return;
    default:
      assertNever(event);
  }
}

function startBlock(start: { type: string; id?: string | undefined; name?: string | undefined; text?: unknown }): Block {
  if (start.type === 'text') return { type: 'text', parts: typeof start.text === 'string' && start.text !== '' ? [start.text] : [] };
  if (start.type === 'tool_use') return { type: 'tool_use', id: start.id ?? '', name: start.name ?? '', json: [] };
  return { type: 'other', kind: start.type };
}

function wireBlock(block: Block): unknown {
  if (block.type === 'text') return { type: 'text', text: block.parts.join('') };
  if (block.type === 'tool_use') return { type: 'tool_use', id: block.id, name: block.name, input: toolInput(block.json.join('')) };
  return { type: block.kind };
}

/** The streamed JSON of a tool's input; text that is not JSON stays text, which the tool's input validation tells the model of. */
function toolInput(json: string): unknown {
  if (json === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
