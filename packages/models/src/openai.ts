import type { ModelRequest, ModelResponse } from '@signalbox/events';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { failureFromStatus, keyOriginOf, malformedReply, transportFailure, type CallContext } from './http-failures.ts';
import { chatCompletionsApi } from './openai-chat.ts';
import type { CallOptions, ModelProvider } from './provider.ts';
import { responsesApi } from './openai-responses.ts';
import { checkResponseFormat } from './response-format.ts';
import { toolNameMap } from './tool-names.ts';

export interface OpenAIProviderOptions {
  apiKey: string;
  /** Defaults to OpenAI; point it at Ollama, vLLM or llama.cpp (`http://host:port/v1`). */
  baseURL?: string;
  /** `responses` for OpenAI itself; `chat` (Chat Completions) for OpenAI-compatible servers. */
  api: 'responses' | 'chat';
  /** Provider name in agent definitions and error messages. */
  name?: string;
  /** Retries the SDK makes on 408/409/429/5xx and connection errors, honouring `retry-after`. */
  maxRetries?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Named in authentication errors. */
  apiKeyEnv?: string;
  /** The vault secret the key was opened from, named in authentication errors instead of `apiKeyEnv`. */
  apiKeySecret?: string;
}

export function createOpenAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const name = options.name ?? 'openai';
  const client = new OpenAI({
    apiKey: options.apiKey,
    // Explicit, so the SDK never falls back to OPENAI_BASE_URL behind the configuration's back.
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 600_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const wire = options.api === 'responses' ? responsesApi : chatCompletionsApi;
  return {
    name,
    async complete(request: ModelRequest, callOptions: CallOptions = {}): Promise<ModelResponse> {
      const call: CallContext = { provider: name, model: request.model, keyOrigin: keyOriginOf(options, 'OPENAI_API_KEY'), apiKey: options.apiKey };
      checkResponseFormat(request, name);
      const names = toolNameMap(request.tools);
      let body: unknown;
      try {
        body = await wire.send(client, request, names, callOptions.signal);
      } catch (error) {
        callOptions.signal?.throwIfAborted();
        throw toModelError(error, call);
      }
      return wire.read(body, names, call);
    },
  };
}

function toModelError(error: unknown, call: CallContext): unknown {
  if (error instanceof APIConnectionTimeoutError) return transportFailure('timeout', call, error);
  if (error instanceof APIConnectionError) return transportFailure('connection', call, error);
  if (error instanceof APIError && error.status !== undefined) {
    return failureFromStatus(error.status, errorDetail(error), call, error);
  }
  if (error instanceof SyntaxError) return malformedReply(call, 'the body is not JSON', error);
  return error;
}

/** The server's own message and code, without the status the SDK prefixes to `message`. */
function errorDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : error.message;
  return error.code ? `${message} [${error.code}]` : message;
}
