import type { ModelRequest } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { ModelError } from './provider.ts';
import { checkResponseFormat, maxSchemaBytes, maxSchemaDepth } from './response-format.ts';
import { hostileFormats, nestedSchema, paddedSchema, verdictFormat } from './structured-output.fixtures.ts';

function request(responseFormat: unknown): ModelRequest {
  return { model: 'm', messages: [], tools: [], maxTokens: 10, responseFormat } as ModelRequest;
}

function refusal(responseFormat: unknown): ModelError {
  try {
    checkResponseFormat(request(responseFormat), 'p');
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return error as ModelError;
  }
  throw new Error('expected a refusal');
}

describe('checkResponseFormat: the bounds every adapter applies before sending', () => {
  it('passes no format, an ordinary one, and schemas exactly at each bound, without changing them', () => {
    const atBounds = [verdictFormat, { name: 'big', schema: paddedSchema(maxSchemaBytes) }, { name: 'deep', schema: nestedSchema(maxSchemaDepth) }];
    const before = structuredClone(atBounds);
    expect(() => checkResponseFormat(request(undefined), 'p')).not.toThrow();
    for (const format of atBounds) expect(() => checkResponseFormat(request(format), 'p')).not.toThrow();
    expect(atBounds).toEqual(before);
  });

  it('refuses a schema one byte or one level past the bounds, as a non-retryable invalid request', () => {
    for (const { format, says } of hostileFormats) {
      const error = refusal(format);
      expect(error.code).toBe('invalid_request');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/^p\/m: the response format is refused before sending: /);
      expect(error.message).toMatch(says);
    }
  });

  it('refuses a schema with more values than could fit, without walking all of them', () => {
    const schema = { type: 'string', enum: Array.from({ length: 1_000_000 }, () => 0) };
    expect(refusal({ name: 'wide', schema }).message).toContain(`larger than ${maxSchemaBytes} bytes as JSON`);
  });

  it('refuses a schema that refers to itself instead of recursing forever', () => {
    const schema: Record<string, unknown> = { type: 'object' };
    schema['properties'] = { self: schema };
    expect(refusal({ name: 'cycle', schema }).message).toContain(`more than ${maxSchemaDepth} levels deep`);
  });

  it('refuses what the event schema would: a bad name, a schema that is not an object or has no JSON form', () => {
    expect(refusal({ name: 'has spaces', schema: {} }).message).toContain('name');
    expect(refusal({ name: 'list', schema: [1, 2] }).message).toContain('schema');
    expect(refusal({ name: 'bigint', schema: { maximum: 10n } }).message).toContain('no JSON form');
  });
});
