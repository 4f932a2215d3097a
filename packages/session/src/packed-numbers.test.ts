import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkSize, listOf } from './append-only-list.ts';
import { packedNumbers, unpackedNumbers } from './packed-numbers.ts';

/** Whole numbers that never decrease, from steps of any size up to a total within 2^53. */
const nonDecreasing = fc
  .array(fc.oneof(fc.nat(300), fc.nat(2 ** 20), fc.constantFrom(0, 127, 128, 2 ** 31, 2 ** 40)), { maxLength: 3 * chunkSize })
  .map((steps) => steps.reduce<number[]>((values, step) => [...values, (values.at(-1) ?? 0) + step], []));

describe('packed numbers', () => {
  it('unpack to the list they packed, chunked as adding them one by one chunks it', () => {
    fc.assert(
      fc.property(nonDecreasing, (values) => {
        const packed = packedNumbers(listOf(values));
        expect(packed).toBeInstanceOf(Uint8Array);
        expect(unpackedNumbers(packed!)).toEqual(listOf(values));
      }),
    );
  });

  it('take a byte for a step under 128, two under 16,384, and eight for one near 2^53', () => {
    expect(packedNumbers(listOf([0, 127, 254]))).toEqual(Uint8Array.of(0, 127, 127));
    expect(packedNumbers(listOf([128, 16_511]))).toEqual(Uint8Array.of(0x80, 0x01, 0xff, 0x7f));
    expect(packedNumbers(listOf([Number.MAX_SAFE_INTEGER]))).toHaveLength(8);
    expect(unpackedNumbers(packedNumbers(listOf([Number.MAX_SAFE_INTEGER]))!)).toEqual(listOf([Number.MAX_SAFE_INTEGER]));
    // A conversation's charsBefore after 4,000 messages of about 180 characters: two bytes each, not five.
    expect(packedNumbers(listOf(Array.from({ length: 4000 }, (_, i) => i * 180)))).toHaveLength(1 + 3999 * 2);
  });

  it('are not made of a list that decreases, or holds a number that is not a safe whole one', () => {
    for (const values of [[2, 1], [1.5], [-1], [Number.MAX_SAFE_INTEGER + 2], [Number.NaN], [0, Infinity]]) {
      expect(packedNumbers(listOf(values))).toBeUndefined();
    }
  });

  it('refuse bytes they could not have been packed into', () => {
    expect(() => unpackedNumbers(Uint8Array.of(0x80))).toThrow(/cut short/);
    expect(() => unpackedNumbers(new Uint8Array(9).fill(0xff))).toThrow(/too long/);
    expect(() => unpackedNumbers(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7f))).toThrow(/passes 2\^53/);
    expect(unpackedNumbers(new Uint8Array(0))).toEqual(listOf([]));
  });
});
