import { describe, expect, it } from 'vitest';
import { fitsStrictMode } from './openai-strict.ts';
import { looseFormat, verdictFormat } from './structured-output.fixtures.ts';

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('fitsStrictMode: strict only for schemas that already meet the rules', () => {
  it('accepts closed objects with every property required, through properties, items, anyOf and $defs', () => {
    expect(fitsStrictMode(verdictFormat.schema)).toBe(true);
    const nested = closed(
      {
        findings: { type: 'array', items: closed({ line: { type: 'integer' } }) },
        score: { anyOf: [{ type: 'number' }, { type: 'null' }] },
        owner: { $ref: '#/$defs/person' },
      },
      { $defs: { person: closed({ name: { type: 'string' } }) } },
    );
    expect(fitsStrictMode(nested)).toBe(true);
  });

  it('refuses optional properties, open objects and a root that is not an object', () => {
    expect(fitsStrictMode(looseFormat.schema)).toBe(false);
    expect(fitsStrictMode({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBe(false);
    expect(fitsStrictMode({ type: 'string' })).toBe(false);
    expect(fitsStrictMode({ anyOf: [closed({})] })).toBe(false);
  });

  it('refuses a nested object that breaks the rules, and keywords strict mode does not take', () => {
    expect(fitsStrictMode(closed({ inner: { type: 'object', properties: { a: { type: 'string' } } } }))).toBe(false);
    expect(fitsStrictMode(closed({ list: { type: 'array', items: { type: 'object' } } }))).toBe(false);
    expect(fitsStrictMode(closed({ a: { allOf: [{ type: 'string' }] } }))).toBe(false);
    expect(fitsStrictMode(closed({}, { oneOf: [] }))).toBe(false);
    expect(fitsStrictMode(closed({ a: true }))).toBe(false);
    expect(fitsStrictMode(closed({}, { $defs: 'not a map' }))).toBe(false);
  });
});
