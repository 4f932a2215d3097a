import { z } from 'zod';
import { JsonData } from './json-data.ts';

/** Provider-neutral conversation types. Adapters translate these to and from each provider's wire format. */

export const TextBlock = z.object({ type: z.literal('text'), text: z.string() });
export type TextBlock = z.infer<typeof TextBlock>;

export const ImageBlock = z.object({
  type: z.literal('image'),
  mediaType: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']),
  /** Base64 without a data: prefix. */
  data: z.string(),
});
export type ImageBlock = z.infer<typeof ImageBlock>;

export const ToolUseBlock = z.object({
  type: z.literal('tool_use'),
  /** The provider's call id, echoed back in the matching tool result. */
  id: z.string(),
  /** The Signalbox tool name (for example `workspace.read`), never a provider-mangled one. */
  name: z.string(),
  input: JsonData,
});
export type ToolUseBlock = z.infer<typeof ToolUseBlock>;

export const ToolResultBlock = z.object({
  type: z.literal('tool_result'),
  toolUseId: z.string(),
  content: z.string(),
  isError: z.boolean().default(false),
});
export type ToolResultBlock = z.infer<typeof ToolResultBlock>;

export const ContentBlock = z.discriminatedUnion('type', [TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock]);
export type ContentBlock = z.infer<typeof ContentBlock>;

export const Message = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.array(ContentBlock),
});
export type Message = z.infer<typeof Message>;

export const ToolDefinition = z.object({
  name: z.string(),
  description: z.string(),
  /** JSON Schema of the tool's input object. */
  inputSchema: z.record(z.string(), JsonData),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

export const ModelRequest = z.object({
  /** Model name as the provider knows it, without the `provider/` prefix. */
  model: z.string(),
  system: z.string().optional(),
  messages: z.array(Message),
  tools: z.array(ToolDefinition).default([]),
  maxTokens: z.number().int().positive(),
  /**
   * Ask for a reply that is one JSON value matching `schema` (a JSON Schema object), by the provider's
   * structured output: the reply's text holds it. No agent request sets it; the grader's does.
   */
  responseFormat: z.object({ name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), schema: z.record(z.string(), z.unknown()) }).optional(),
});
export type ModelRequest = z.infer<typeof ModelRequest>;

export const StopReason = z.enum(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'refusal', 'pause_turn']);
export type StopReason = z.infer<typeof StopReason>;

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative().default(0),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
});
export type Usage = z.infer<typeof Usage>;

export const ModelResponse = z.object({
  /** The model that actually answered, as the provider reported it. */
  model: z.string(),
  content: z.array(z.discriminatedUnion('type', [TextBlock, ToolUseBlock])),
  stopReason: StopReason,
  usage: Usage,
});
export type ModelResponse = z.infer<typeof ModelResponse>;

export const zeroUsage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
