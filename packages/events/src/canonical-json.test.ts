import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalPart, canonicalJson } from './canonical-json.ts';

/** How canonical JSON was first written, and what every recorded digest was made with: the output must never change. */
function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

describe('canonical JSON', () => {
  it('writes any JSON value byte for byte as digests of recorded runs were made', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === sortedKeysJson(value)), { numRuns: 500 });
  });

  it('puts keys that are array indices first, in numeric order, as every recorded digest has them', () => {
    const keys = ['b', '10', '', '2', '4294967294', '4294967295', '01', '-1', '1.5', 'a'];
    const value = Object.fromEntries(keys.map((key) => [key, key]));
    expect(canonicalJson(value)).toBe(sortedKeysJson(value));
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.string(), fc.nat().map(String)), fc.jsonValue()), (record) => canonicalJson(record) === sortedKeysJson(record)));
  });

  it('leaves out undefined fields and writes undefined array items as null, as JSON does', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });

  it('writes a part computed before as the value itself would be written, wherever it stands', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (part, around, key) => {
        const whole = { ...around, [key]: part, list: [part, around] };
        const withPart = { ...around, [key]: new CanonicalPart(part), list: [new CanonicalPart(part), around] };
        return canonicalJson(withPart) === canonicalJson(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses circular data rather than hash a placeholder', () => {
    const looped: Record<string, unknown> = {};
    looped['self'] = looped;
    expect(() => canonicalJson(looped)).toThrow();
  });
});
