import { Encoder } from '@msgpack/msgpack';
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

  it('refuses bytes over the size limit, and leaves truncated bytes to the decoder', () => {
    expect(msgpackLimitProblem(new Uint8Array(1001), limits)).toMatch(/1001 bytes is more than the limit of 1000/);
    expect(msgpackLimitProblem(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), limits)).toBeUndefined();
  });
});

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
