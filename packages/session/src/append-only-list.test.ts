import { describe, expect, it } from 'vitest';
import { appended, chunkSize, findLastBefore, itemAt, itemsOf, lastItem, listOf, sizeOf, type AppendOnlyList } from './append-only-list.ts';

const numbers = (count: number) => Array.from({ length: count }, (_, index) => index * 10);
const grown = (items: readonly number[]) => items.reduce<AppendOnlyList<number>>(appended, listOf([]));

describe('an append-only list', () => {
  it('is chunked the same whether built at once or one item at a time, on either side of a chunk boundary', () => {
    for (const count of [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize, 3 * chunkSize + 5]) {
      const items = numbers(count);
      expect(grown(items)).toStrictEqual(listOf(items));
      expect(sizeOf(listOf(items))).toBe(count);
      expect(itemsOf(listOf(items))).toStrictEqual(items);
      expect(lastItem(listOf(items))).toBe(items.at(-1));
    }
  });

  it('reads items and ranges as an array would, and nothing outside it', () => {
    const items = numbers(2 * chunkSize + 9);
    const list = listOf(items);
    for (const index of [0, chunkSize - 1, chunkSize, 2 * chunkSize, items.length - 1]) expect(itemAt(list, index)).toBe(items[index]);
    for (const outside of [-1, items.length, items.length + chunkSize, 1.5, Number.NaN, Infinity]) expect(itemAt(list, outside)).toBeUndefined();
    const ranges: [number, number][] = [[0, 0], [3, 2], [-5, 4], [chunkSize - 1, chunkSize + 1], [1, items.length + 100], [chunkSize, 2 * chunkSize], [items.length, items.length + 1]];
    for (const [from, to] of ranges) expect(itemsOf(list, from, to)).toStrictEqual(items.slice(Math.max(0, from), to));
  });

  it('shares the full chunks of the version it grew from, and leaves that version as it was', () => {
    const before = listOf(numbers(2 * chunkSize + 3));
    const after = appended(before, -1);
    after.full.forEach((chunk, index) => expect(chunk).toBe(before.full[index]));
    // Two lists grown from one: neither sees the other's item.
    const other = appended(before, -2);
    expect(lastItem(after)).toBe(-1);
    expect(lastItem(other)).toBe(-2);
    expect(sizeOf(before)).toBe(2 * chunkSize + 3);
    // Filling the last chunk seals it; the older version still ends where it did.
    const nearlyFull = listOf(numbers(chunkSize - 1));
    const sealed = appended(nearlyFull, -3);
    expect(sealed.full).toHaveLength(1);
    expect(sealed.last).toHaveLength(0);
    expect(nearlyFull.full).toHaveLength(0);
    expect(lastItem(sealed)).toBe(-3);
  });

  it('finds the last match looking back, and gives up at the first item it is told to stop at', () => {
    const list = listOf(numbers(3 * chunkSize));
    expect(findLastBefore(list, (item) => item <= 2_000, () => false)).toBe(2_000);
    expect(findLastBefore(list, (item) => item % 7 === 3, () => false)).toBe(numbers(3 * chunkSize).findLast((item) => item % 7 === 3));
    let looked = 0;
    const stopped = findLastBefore(list, () => false, (item) => (looked++, item < (3 * chunkSize - 5) * 10));
    expect(stopped).toBeUndefined();
    expect(looked).toBe(6);
    expect(findLastBefore(listOf<number>([]), () => true, () => false)).toBeUndefined();
  });
});
