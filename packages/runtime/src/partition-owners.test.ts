import { describe, expect, it } from 'vitest';
import { partitionsOf } from './partition-owners.ts';

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

describe('which partitions a subscriber replica consumes', () => {
  it('gives a lone replica every partition', () => {
    expect(partitionsOf('a', ['a'], 8)).toStrictEqual(range(8));
  });

  it('counts itself alive before its own entry is visible', () => {
    expect(partitionsOf('a', [], 4)).toStrictEqual(range(4));
  });

  it('gives every partition to exactly one of the members, whatever order they are listed in', () => {
    const members = ['a', 'b', 'c'];
    const shares = members.map((member) => partitionsOf(member, [...members].reverse(), 64));
    expect(shares.flat().sort((x, y) => x - y)).toStrictEqual(range(64));
    for (const share of shares) expect(share.length).toBeGreaterThan(8);
  });

  it('moves only the leaving replica’s partitions when one leaves', () => {
    const before = { a: partitionsOf('a', ['a', 'b', 'c'], 64), b: partitionsOf('b', ['a', 'b', 'c'], 64) };
    const after = { a: partitionsOf('a', ['a', 'b'], 64), b: partitionsOf('b', ['a', 'b'], 64) };
    for (const partition of before.a) expect(after.a).toContain(partition);
    for (const partition of before.b) expect(after.b).toContain(partition);
    expect([...after.a, ...after.b].sort((x, y) => x - y)).toStrictEqual(range(64));
  });
});
