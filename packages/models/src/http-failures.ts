import type { z } from 'zod';
import { ModelError } from './provider.ts';
import { redactedError, redactSecrets } from './redaction.ts';

/** What an adapter knows about a failed call, so the message can tell the operator what to fix. */
export interface CallContext {
  /** Provider name as used in agent definitions (`anthropic`, `openai`, `ollama`, ...). */
  provider: string;
  model: string;
  /** Where the key came from (an environment variable, or `the vault secret NAME`), named in authentication errors. */
  keyOrigin: string | undefined;
  /** The key the call carried, redacted (with every other credential shape) from what a failure says. */
  apiKey: string | undefined;
}

/** What an authentication error tells the operator to check: the vault secret the key came from, or else its variable. */
export function keyOriginOf(options: { apiKeyEnv?: string | undefined; apiKeySecret?: string | undefined }, defaultEnv: string): string {
  return options.apiKeySecret === undefined ? (options.apiKeyEnv ?? defaultEnv) : `the vault secret ${options.apiKeySecret}`;
}

const contextTooLong =
  /prompt is too long|context[ _](length|window|size)|maximum context|exceeds? the (available )?context|too many (input )?tokens/i;

/**
 * A ModelError for a failed call, with its message and cause redacted (`redactSecrets`): providers
 * echo keys and headers in their error text, and a ModelError is recorded in `model.failed` and logged.
 */
function modelFailure(call: CallContext, code: ModelError['code'], message: string, options: { retryable: boolean; status?: number; cause: unknown }): ModelError {
  const secrets = [call.apiKey];
  const cause = redactedError(options.cause, secrets);
  return new ModelError(code, redactSecrets(`${call.provider}/${call.model}: ${message}`, secrets), { ...options, cause });
}

/** Classifies an HTTP error status (after the SDK's own retries gave up) into a ModelError. */
export function failureFromStatus(status: number, serverMessage: string, call: CallContext, cause: unknown): ModelError {
  // Redacted before it is cut, so no part of a key survives at the cut. A proxy's HTML error page would otherwise swamp the message.
  const whole = redactSecrets(serverMessage, [call.apiKey]);
  const detail = whole.length > 300 ? `${whole.slice(0, 300)}…` : whole;
  const fail = (code: ModelError['code'], message: string, retryable: boolean) => modelFailure(call, code, message, { retryable, status, cause });
  if (status === 401) {
    const fix = call.keyOrigin ? `check ${call.keyOrigin}` : `check the API key configured for "${call.provider}"`;
    return fail('authentication', `the API key was rejected (401: ${detail}); ${fix}`, false);
  }
  if (status === 403) return fail('permission', `the API key may not use this model (403: ${detail})`, false);
  if (status === 404) {
    return fail('not_found', `the model name "${call.model}" is unknown to ${call.provider} (404: ${detail})`, false);
  }
  if (status === 413 || (status === 400 && contextTooLong.test(serverMessage))) {
    return fail('context_too_long', `the conversation no longer fits the model's context window (${status}: ${detail})`, false);
  }
  if (status === 408) return fail('timeout', `the provider timed out the request (408: ${detail})`, true);
  if (status === 429) return fail('rate_limited', `rate limited (429: ${detail})`, true);
  if (status === 529) return fail('overloaded', `the provider is overloaded (529: ${detail})`, true);
  if (status >= 500) return fail('server_error', `the provider failed (${status}: ${detail})`, true);
  return fail('invalid_request', `the provider refused the request (${status}: ${detail})`, false);
}

export function transportFailure(kind: 'timeout' | 'connection', call: CallContext, cause: unknown): ModelError {
  const message =
    kind === 'timeout' ? 'no answer within the timeout' : `could not reach ${call.provider}: ${describe(cause)}`;
  return modelFailure(call, kind, message, { retryable: true, cause });
}

/** The provider answered 2xx with a body that is not JSON, or not the shape we rely on. */
export function malformedReply(call: CallContext, detail: string, cause: unknown): ModelError {
  return modelFailure(call, 'bad_response', `malformed reply: ${detail}`, { retryable: true, cause });
}

/** Validates a provider reply at the edge; a mismatch becomes `bad_response`. */
export function parseReply<T>(schema: z.ZodType<T>, body: unknown, call: CallContext): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw malformedReply(call, `${issue?.message ?? 'unexpected shape'}${where}`, parsed.error);
}

/**
 * An error a provider sent inside a stream that had begun (its HTTP status was 200), classified as the
 * status its error type stands for would be; `errorType` is Anthropic's `error.type` or OpenAI's `code`.
 */
export function failureFromStreamError(errorType: string | undefined, serverMessage: string, call: CallContext, cause: unknown): ModelError {
  return failureFromStatus(streamErrorStatus.get(errorType ?? '') ?? 500, serverMessage, call, cause);
}

// Any other type (api_error, server_error, one not known yet) counts as the provider failing: worth another try.
const streamErrorStatus = new Map<string, number>([
  ['invalid_request_error', 400],
  ['invalid_prompt', 400],
  ['context_length_exceeded', 400],
  ['authentication_error', 401],
  ['permission_error', 403],
  ['not_found_error', 404],
  ['request_too_large', 413],
  ['rate_limit_error', 429],
  ['rate_limit_exceeded', 429],
  ['overloaded_error', 529],
]);

/** The stream broke off, or ended before the provider said the reply was complete: as a dropped connection, worth another try. */
export function streamCutOff(call: CallContext, cause: unknown): ModelError {
  const detail = cause === undefined ? 'the stream ended before the reply was complete' : `the stream broke off: ${describe(cause)}`;
  return modelFailure(call, 'connection', detail, { retryable: true, cause });
}

function describe(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  return inner instanceof Error ? inner.message : String(inner);
}
