import { describe, expect, it } from 'vitest';
import { redactedError, redactSecrets } from './redaction.ts';

const anthropicKey = 'sk-ant-api03-Zq9xW2vLmN4pR7tY1uI8oP3aS6dF0gH5jK2lZ9xC-AAAAAA';
const openaiKey = 'sk-proj-4fGh7JkL9mNb2VcX5zQw8ErTy1UiOp3AsDf6GhJk';
/** A configured key with no telling shape: only knowing it finds it. */
const plainKey = 'p1ainKey/with+slash=and&more';
const base64 = (text: string) => Buffer.from(text).toString('base64');
const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('redactSecrets', () => {
  it.each([
    ['the key itself', `invalid key ${plainKey} given`],
    ['the key URL-encoded', `GET /v1?key=${encodeURIComponent(plainKey)} failed`],
    ['the key in base64', `credential ${base64(plainKey)} refused`],
    ['the key in URL-safe base64 without padding', `credential ${base64url(plainKey)} refused`],
    ['the key inside a base64 basic credential', `Proxy-Authorization ${base64(`user:${plainKey}`)}`],
    ['the key inside percent-encoded base64', `token=${encodeURIComponent(base64(`x${plainKey}`))}`],
  ])('redacts a configured key: %s', (_case, text) => {
    const scrubbed = redactSecrets(text, [plainKey]);
    expect(scrubbed).toContain('[redacted]');
    expect(scrubbed).not.toContain(plainKey);
    expect(scrubbed).not.toContain(encodeURIComponent(plainKey));
    expect(scrubbed).not.toContain(base64(plainKey).slice(0, 12));
  });

  it.each([
    ['an Anthropic key', `invalid x-api-key: ${anthropicKey}`, anthropicKey],
    ['an OpenAI key', `Incorrect API key provided: ${openaiKey}.`, openaiKey],
    ['a bearer token', 'header was "Authorization: Bearer eyJhbGciOi.J9payload.sig"', 'eyJhbGciOi'],
    ['a URL-encoded bearer token', 'auth=Bearer%20abc123def456ghi', 'abc123def456ghi'],
    ['an x-api-key header value', 'headers: {"x-api-key": "not-a-known-shape-123"}', 'not-a-known-shape-123'],
    ['a URL-encoded x-api-key value', 'x-api-key%3A%20opaque-value-99', 'opaque-value-99'],
    ['an api_key query parameter', 'https://host/v1?api_key=opaque42&x=1', 'opaque42'],
    ['a key shape in base64', `echo: ${base64(`Bearer ${anthropicKey}`)}`, base64(`Bearer ${anthropicKey}`).slice(0, 20)],
    ['a key shape in URL-safe base64', `echo: ${base64url(`x-api-key: ${openaiKey}`)}`, base64url(`x-api-key: ${openaiKey}`).slice(0, 20)],
    ['a key shape URL-encoded', `q=${encodeURIComponent(`key ${anthropicKey}`)}`, anthropicKey],
  ])('redacts %s without being told the key', (_case, text, secret) => {
    const scrubbed = redactSecrets(text);
    expect(scrubbed).toContain('[redacted]');
    expect(scrubbed).not.toContain(secret);
  });

  it('leaves ordinary provider errors as they were', () => {
    for (const text of [
      'Number of request tokens has exceeded your per-minute rate limit',
      'prompt is too long: 208310 tokens > 200000 maximum',
      'invalid x-api-key',
      'model: claude-sonnet-4-5 not found; request_id req_011CPx8fGv2Hq7',
      'the task-list is at risk-free internationalization',
    ]) {
      expect(redactSecrets(text, ['ollama', undefined])).toBe(text);
    }
  });
});

describe('redactedError', () => {
  it('keeps the name and redacts the message and stack, dropping the cause', () => {
    const original = new TypeError(`401 {"error":"bad key ${plainKey}"}`, { cause: new Error(plainKey) });
    const copy = redactedError(original, [plainKey]);
    expect(copy.name).toBe('TypeError');
    expect(copy.message).toBe('401 {"error":"bad key [redacted]"}');
    expect(copy.stack).not.toContain(plainKey);
    expect(copy.cause).toBeUndefined();
  });
});
