import { z } from 'zod';
import { malformedReply, streamCutOff, type CallContext } from './http-failures.ts';

const ToolCallDelta = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** One `chat.completion.chunk`; compatible servers send the last, usage-only one with `choices` empty, null or left out. */
const Chunk = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().int().nonnegative().optional(),
        delta: z
          .object({ content: z.string().nullish(), refusal: z.string().nullish(), tool_calls: z.array(ToolCallDelta).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.record(z.string(), z.unknown()).nullish(),
});
type Chunk = z.infer<typeof Chunk>;

interface ToolCallParts {
  id: string | undefined;
  name: string[];
  arguments: string[];
}

interface Assembly {
  model: string | undefined;
  content: string[];
  refusal: string[];
  toolCalls: Map<number, ToolCallParts>;
  finishReason: string | undefined;
  usage: Record<string, unknown> | undefined;
}

/**
 * Reads a streamed chat completion to its end, telling `onText` each piece of text (a refusal's too),
 * and gives back the completion in the non-streaming wire shape, so it is checked and mapped as one.
 */
export async function assembleChatStream(chunks: AsyncIterable<unknown>, onText: (delta: string) => void, call: CallContext): Promise<unknown> {
  const assembly: Assembly = { model: undefined, content: [], refusal: [], toolCalls: new Map(), finishReason: undefined, usage: undefined };
  for await (const raw of chunks) {
    const parsed = Chunk.safeParse(raw);
    if (!parsed.success) throw malformedReply(call, 'a stream chunk of an unexpected shape', parsed.error);
    apply(assembly, parsed.data, onText);
  }
  // Without a finish reason the stream broke off (no `[DONE]` reaches here: the SDK ends the iteration on it).
  if (assembly.finishReason === undefined) throw streamCutOff(call, undefined);
  const toolCalls = [...assembly.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, parts]) => wireToolCall(parts));
  const message = {
    content: assembly.content.length > 0 ? assembly.content.join('') : null,
    refusal: assembly.refusal.length > 0 ? assembly.refusal.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  return { model: assembly.model, choices: [{ finish_reason: assembly.finishReason, message }], usage: assembly.usage };
}

function apply(assembly: Assembly, chunk: Chunk, onText: (delta: string) => void): void {
  assembly.model ??= chunk.model ?? undefined;
  if (chunk.usage) assembly.usage = chunk.usage;
  // One completion is asked for (`n` is not set): the first choice is the reply.
  const choice = chunk.choices?.find((each) => (each.index ?? 0) === 0);
  if (!choice) return;
  const delta = choice.delta;
  for (const [pieces, text] of [
    [assembly.content, delta?.content],
    [assembly.refusal, delta?.refusal],
  ] as const) {
    if (!text) continue;
    pieces.push(text);
    onText(text);
  }
  for (const part of delta?.tool_calls ?? []) addToolCallPart(assembly.toolCalls, part);
  if (choice.finish_reason) assembly.finishReason = choice.finish_reason;
}

function addToolCallPart(calls: Map<number, ToolCallParts>, part: z.infer<typeof ToolCallDelta>): void {
  let parts = calls.get(part.index);
  if (!parts) calls.set(part.index, (parts = { id: undefined, name: [], arguments: [] }));
  parts.id ??= part.id ?? undefined;
  if (part.function?.name) parts.name.push(part.function.name);
  if (part.function?.arguments) parts.arguments.push(part.function.arguments);
}

function wireToolCall(parts: ToolCallParts): unknown {
  return { ...(parts.id === undefined ? {} : { id: parts.id }), function: { name: parts.name.join(''), arguments: parts.arguments.join('') } };
}
