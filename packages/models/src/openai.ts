import type { ModelRequest, ModelResponse } from '@signalbox/events';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import {
  failureFromStatus,
  failureFromStreamError,
  keyOriginOf,
  malformedReply,
  streamCutOff,
  transportFailure,
  type CallContext,
} from './http-failures.ts';
import { chatCompletionsApi } from './openai-chat.ts';
import { ModelError, requestOptionsOf, type CallOptions, type ModelProvider } from './provider.ts';
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
    // Failures reach the caller as ModelErrors; the SDK's own console logging would go around pino.
    logLevel: 'off',
  });
  const wire = options.api === 'responses' ? responsesApi : chatCompletionsApi;
  return {
    name,
    async complete(request: ModelRequest, callOptions: CallOptions = {}): Promise<ModelResponse> {
      const call: CallContext = { provider: name, model: request.model, keyOrigin: keyOriginOf(options, 'OPENAI_API_KEY'), apiKey: options.apiKey };
      checkResponseFormat(request, name);
      const names = toolNameMap(request.tools);
      const { signal, onText } = callOptions;
      const requestOptions = requestOptionsOf(callOptions);
      let body: unknown;
      try {
        body = onText ? await wire.stream(client, request, names, requestOptions, onText, call) : await wire.send(client, request, names, requestOptions);
        // A stream read to its end from the SDK's buffer can finish after the signal fired.
        signal?.throwIfAborted();
      } catch (error) {
        signal?.throwIfAborted();
        throw toModelError(error, call, onText !== undefined);
      }
      return wire.read(body, names, call);
    },
  };
}

/** `streamed`: a failure the mapping does not know broke the stream off (the socket closed mid-body, say). */
function toModelError(error: unknown, call: CallContext, streamed: boolean): unknown {
  if (error instanceof ModelError) return error;
  if (error instanceof APIConnectionTimeoutError) return transportFailure('timeout', call, error);
  if (error instanceof APIConnectionError) return transportFailure('connection', call, error);
  if (error instanceof APIError && error.status !== undefined) {
    return failureFromStatus(error.status, errorDetail(error), call, error);
  }
  // An `error` event inside a stream that had begun: `{ code, message }`, or `{ error: { code, message } }`.
  if (error instanceof APIError) return failureFromStreamError(error.code ?? error.type ?? undefined, errorDetail(error), call, error);
  if (error instanceof SyntaxError) return malformedReply(call, streamed ? 'a stream event is not JSON' : 'the body is not JSON', error);
  return streamed ? streamCutOff(call, error) : error;
}

/** The server's own message and code, without the status the SDK prefixes to `message`. */
function errorDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : error.message;
  return error.code ? `${message} [${error.code}]` : message;
}
