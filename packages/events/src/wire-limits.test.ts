import { Decoder, Encoder } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, DecodeError, encode, parseJson } from './codec.ts';
import { jsonLimitProblem, msgpackLimitProblem, valueDepthProblem, type WireLimits } from './wire-limits.ts';
import { z } from 'zod';

const limits: WireLimits = { maxDepth: 3, maxBytes: 1000 };
const nested = (depth: number, leaf: unknown = 1): unknown => Array.from({ length: depth }).reduce<unknown>((inner) => [inner], leaf);
const deepEncoder = new Encoder({ maxDepth: 10_000 });

describe('msgpackLimitProblem', () => {
  it('accepts values nested up to the limit, of every format', () => {
    const value = { a: [1, -1, 300, -300, 70_000, 2 ** 40, 1.5, 'text', 'x'.repeat(300), null, true, new Uint8Array(3)], b: { c: [] } };
    expect(msgpackLimitProblem(encode(value), limits)).toBeUndefined();
    expect(msgpackLimitProblem(encode(nested(3)), limits)).toBeUndefined();
    expect(msgpackLimitProblem(encode(nested(2, [])), limits)).toBeUndefined();
  });

  it('refuses values nested deeper, even with an empty innermost container', () => {
    expect(msgpackLimitProblem(encode(nested(4)), limits)).toMatch(/nested more than 3 deep/);
    expect(msgpackLimitProblem(encode(nested(3, {})), limits)).toMatch(/nested more than 3 deep/);
    expect(msgpackLimitProblem(encode({ a: { b: { c: { d: 1 } } } }), limits)).toMatch(/nested more than 3 deep/);
  });

  it('walks a value nested far past any stack without recursion', () => {
    // 100,000 one-element arrays (0x91), then 1: built by hand, as the encoder itself would overflow.
    const bytes = new Uint8Array(100_001).fill(0x91);
    bytes[100_000] = 0x01;
    expect(msgpackLimitProblem(bytes, { maxDepth: 64, maxBytes: 1e6 })).toMatch(/nested more than 64/);
    expect(msgpackLimitProblem(bytes, { maxDepth: 100_000, maxBytes: 1e6 })).toBeUndefined();
  });

  it('measures the nesting of any encoded value, whatever its formats', () => {
    // Leaves of every format the encoder writes: fixints to uint64, floats, strings and binaries past each
    // length format's bound, timestamps (ext), maps and arrays past 15 and 65,535 entries' header forms.
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true }),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('x'.repeat(300), 'y'.repeat(70_000)),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom(new Uint8Array(70_000), new Date(0), new Date(2 ** 40), null, true, false),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.oneof(fc.array(tie('value'), { maxLength: 20 }), fc.constant(Array.from({ length: 70_000 }, (_, i) => i))),
      object: fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 20 }),
    }));
    fc.assert(
      fc.property(value, (generated) => {
        const bytes = encode(generated);
        const depth = depthOf(generated);
        expect(msgpackLimitProblem(bytes, { maxDepth: depth, maxBytes: Infinity })).toBeUndefined();
        if (depth > 0) expect(msgpackLimitProblem(bytes, { maxDepth: depth - 1, maxBytes: Infinity })).toMatch(/nested more than/);
      }),
      { numRuns: 200 },
    );
  });

  it('skips the formats the encoder never writes: float 32, ext 16 and 32, map 32', () => {
    // [float32, ext16 (2 bytes of type 1), ext32 (1 byte), {map32 with one entry: 1 → [1]}]
    const bytes = Uint8Array.of(0x94, 0xca, 0, 0, 0, 0, 0xc8, 0, 2, 1, 0xaa, 0xbb, 0xc9, 0, 0, 0, 1, 1, 0xcc, 0xdf, 0, 0, 0, 1, 0x01, 0x91, 0x01);
    expect(new Decoder().decode(bytes)).toHaveLength(4);
    expect(msgpackLimitProblem(bytes, { maxDepth: 3, maxBytes: 100 })).toBeUndefined();
    expect(msgpackLimitProblem(bytes, { maxDepth: 2, maxBytes: 100 })).toMatch(/nested more than 2/);
  });

  it('reads any bytes at all without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void msgpackLimitProblem(bytes, { maxDepth: 4, maxBytes: 1000 })));
  });

  it('refuses bytes over the size limit, and leaves truncated bytes to the decoder', () => {
    expect(msgpackLimitProblem(new Uint8Array(1001), limits)).toMatch(/1001 bytes is more than the limit of 1000/);
    expect(msgpackLimitProblem(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), limits)).toBeUndefined();
  });
});

/** Containers one inside another, an empty one counting: what the scan measures. */
function depthOf(value: unknown): number {
  if (value instanceof Uint8Array || value instanceof Date || typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe('jsonLimitProblem', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonLimitProblem('{"a":[[1]]}', limits)).toBeUndefined();
    expect(jsonLimitProblem('{"a":"[[[[[[\\"[[[[["}', limits)).toBeUndefined();
    expect(jsonLimitProblem('{"a":[[[1]]]}', limits)).toMatch(/nested more than 3 deep/);
    expect(jsonLimitProblem('[[[[', limits)).toMatch(/nested more than 3 deep/);
  });

  it('refuses text over the size limit', () => {
    expect(jsonLimitProblem(`"${'x'.repeat(1000)}"`, limits)).toMatch(/more than the limit of 1000/);
  });
});

describe('valueDepthProblem', () => {
  it('counts containers one inside another, without recursion', () => {
    expect(valueDepthProblem({ a: [{ b: 1 }], c: 'x' }, 3)).toBeUndefined();
    expect(valueDepthProblem({ a: [{ b: [] }] }, 3)).toMatch(/nested more than 3 deep/);
    expect(valueDepthProblem(nested(100_000), 64)).toMatch(/nested more than 64 deep/);
    expect(valueDepthProblem('text', 0)).toBeUndefined();
  });
});

describe('decoding within limits', () => {
  it('is a DecodeError, permanent, before the parser or schema runs', () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    const error = captured(() => parseJson(new TextEncoder().encode(deep), 'JSON task'));
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ permanent: true, message: 'cannot decode JSON task: nested more than 64 deep' });
    expect(() => decode(z.unknown(), deepEncoder.encode(nested(150)), 'msgpack task')).toThrow('cannot decode msgpack task: nested more than 64 deep');
  });

  it('reads what is within them, and reports malformed JSON and UTF-8 as DecodeErrors', () => {
    expect(parseJson(new TextEncoder().encode('{"input":"hi"}'), 'JSON task')).toEqual({ input: 'hi' });
    expect(() => parseJson(new TextEncoder().encode('{"input"'), 'JSON task')).toThrow(DecodeError);
    expect(() => parseJson(Uint8Array.of(0xff, 0xfe), 'JSON task')).toThrow(DecodeError);
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
