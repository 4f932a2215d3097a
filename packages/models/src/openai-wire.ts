import type { ModelRequest, ModelResponse } from '@signalbox/events';
import type OpenAI from 'openai';
import type { CallContext } from './http-failures.ts';
import type { SdkRequestOptions } from './provider.ts';
import type { ToolNameMap } from './tool-names.ts';
import { recordableToolInput } from './tool-input.ts';

/**
 * One OpenAI wire format: how to send a request and how to read the reply. `stream` sends it streamed,
 * tells `onText` each piece of text, and gives back the reply in `send`'s shape, so `read` maps it alike.
 */
export interface OpenAIWireApi {
  send(client: OpenAI, request: ModelRequest, names: ToolNameMap, options: SdkRequestOptions): Promise<unknown>;
  stream(client: OpenAI, request: ModelRequest, names: ToolNameMap, options: SdkRequestOptions, onText: (delta: string) => void, call: CallContext): Promise<unknown>;
  read(body: unknown, names: ToolNameMap, call: CallContext): ModelResponse;
}

/** The API has no error flag on tool output, so the model learns of a failure from the text. */
export function toolOutput(content: string, isError: boolean): string {
  return isError ? `Error: ${content}` : content;
}

export function toArguments(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? {});
}

/** Arguments the model got wrong stay a string, so tool-input validation can tell the model. */
export function fromArguments(text: string): unknown {
  try {
    return recordableToolInput(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * OpenAI counts cached and cache-written tokens inside the input total; Usage keeps them apart
 * (as Anthropic does), so `inputTokens` is only the uncached rest and nothing is charged twice.
 */
export function splitCachedInput(
  input: number,
  output: number,
  details: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null | undefined,
): ModelResponse['usage'] {
  const cacheReadTokens = details?.cached_tokens ?? 0;
  const cacheWriteTokens = details?.cache_write_tokens ?? 0;
  return { inputTokens: Math.max(0, input - cacheReadTokens - cacheWriteTokens), outputTokens: output, cacheReadTokens, cacheWriteTokens };
}
