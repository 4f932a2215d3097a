import type { ModelRequest, ModelResponse, Usage } from '@signalbox/events';

/** What the runtime needs from any model: one call, one reply. Adapters own every SDK type. */
export interface ModelProvider {
  /** Provider id as used in agent definitions (`anthropic`, `openai`, `scripted`, ...). */
  readonly name: string;
  complete(request: ModelRequest, options?: CallOptions): Promise<ModelResponse>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Told each piece of the reply's text as it arrives, in order. Given, the adapter streams the call;
   * the reply it returns is the same either way. A listener must not throw, nor take long: it runs
   * between the stream's events.
   */
  onText?: (delta: string) => void;
  /**
   * Told the usage the provider has reported so far while the reply streams (Anthropic reports the
   * input's tokens as it starts): what a call abandoned midway has cost. Only adapters whose provider
   * reports it before the end call it.
   */
  onUsage?: (usage: Usage) => void;
  /**
   * The W3C trace context of the call's span, sent as the request's `traceparent` header: a provider,
   * gateway or proxy that traces joins the session's trace. Only when the actor traces.
   */
  traceparent?: string;
}

/** The SDK's per-request options a call sets: its signal, and its trace context as a header. */
export interface SdkRequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** What an SDK request is sent with: the call's signal, and its trace context as a header when there is one. */
export function requestOptionsOf({ signal, traceparent }: Pick<CallOptions, 'signal' | 'traceparent'>): SdkRequestOptions {
  return { ...(signal ? { signal } : {}), ...(traceparent ? { headers: { traceparent } } : {}) };
}

export type ModelErrorCode =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'bad_response'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'context_too_long'
  | 'invalid_request'
  | 'script_exhausted'
  /** The agent's provider key is in the vault, and the vault did not give it (missing, no master key, cannot be opened). */
  | 'provider_key_unavailable';

/** A model call that failed. `retryable` tells the runtime whether trying again can help. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  readonly code: ModelErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(code: ModelErrorCode, message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.status = options.status;
  }
}
