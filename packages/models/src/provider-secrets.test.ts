import type { ModelRequest } from '@signalbox/events';
import { anthropicError, openaiError, startFakeAnthropic, startFakeOpenAI, type FakeAnthropic, type FakeOpenAI } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from './anthropic.ts';
import { createOpenAIProvider } from './openai.ts';
import { ModelError, type ModelProvider } from './provider.ts';

/** Keys of real shape, and one of no telling shape that only the configuration knows. */
const anthropicKey = 'sk-ant-api03-Xy7Qw3ErTy9UiOp2AsDf5GhJk8LzXc4VbNm1Qw6ErT-ZZZZZZ';
const openaiKey = 'sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7';
const opaqueKey = 'gateway-key/7f3a+9c2=e81d';

/** An error body that echoes the key as a careless provider or proxy would, in each form it travels in. */
const echoes = (key: string): [string, string][] => [
  ['the key as sent', `invalid key: ${key}`],
  ['in a bearer header', `rejected header Authorization: Bearer ${key}`],
  ['as an x-api-key value', `{"x-api-key": "${key}"} is not valid`],
  ['in base64', `credential ${Buffer.from(key).toString('base64')} refused`],
  ['URL-encoded', `GET /v1/messages?key=${encodeURIComponent(key)} refused`],
];
/** What must appear nowhere in a failure: the key and its encodings. */
const forms = (key: string) => [key, encodeURIComponent(key), Buffer.from(key).toString('base64').slice(0, 16)];

const request: ModelRequest = { model: 'some-model', system: '', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], tools: [], maxTokens: 64 };

async function failure(provider: ModelProvider): Promise<ModelError> {
  const error = await provider.complete(request).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

/** Everything of the failure a recorder or a logger could reach: the message, and the cause's message and stack. */
function everythingSaid(error: ModelError): string {
  const cause = error.cause as Error | undefined;
  return [error.message, error.stack, cause?.message, cause?.stack, JSON.stringify(error)].join('\n');
}

let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
});
afterAll(async () => {
  await Promise.all([anthropic.close(), openai.close()]);
});

describe('provider error text is redacted at the adapter', () => {
  it.each([401, 400, 500].flatMap((status) => [anthropicKey, opaqueKey].flatMap((key) => echoes(key).map(([form, text]) => [status, key, form, text] as const))))(
    'anthropic %i: a key (%s) echoed %s',
    async (status, key, _form, text) => {
      anthropic.reply(anthropicError(status, 'error', text));
      const error = await failure(createAnthropicProvider({ apiKey: key, baseURL: anthropic.baseURL, maxRetries: 0 }));
      const said = everythingSaid(error);
      for (const secret of forms(key)) expect(said).not.toContain(secret);
      expect(error.message).toContain('[redacted]');
    },
  );

  it.each([401, 429].flatMap((status) => [openaiKey, opaqueKey].flatMap((key) => echoes(key).map(([form, text]) => [status, key, form, text] as const))))(
    'openai %i: a key (%s) echoed %s',
    async (status, key, _form, text) => {
      openai.reply(openaiError(status, { message: text, type: 'invalid_request_error' }));
      const error = await failure(createOpenAIProvider({ apiKey: key, baseURL: openai.baseURL, api: 'responses', maxRetries: 0 }));
      const said = everythingSaid(error);
      for (const secret of forms(key)) expect(said).not.toContain(secret);
      expect(error.message).toContain('[redacted]');
    },
  );

  it('keeps what the operator needs: the provider, the status and the fix', async () => {
    anthropic.reply(anthropicError(401, 'authentication_error', `invalid x-api-key ${anthropicKey}`));
    const error = await failure(createAnthropicProvider({ apiKey: anthropicKey, baseURL: anthropic.baseURL, maxRetries: 0 }));
    expect(error).toMatchObject({ code: 'authentication', status: 401, retryable: false });
    expect(error.message).toBe('anthropic/some-model: the API key was rejected (401: invalid x-api-key [redacted]); check ANTHROPIC_API_KEY');
  });
});
