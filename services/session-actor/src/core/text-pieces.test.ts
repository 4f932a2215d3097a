import { describe, expect, it } from 'vitest';
import { textPieces } from './text-pieces.ts';

describe('textPieces', () => {
  it('cuts text into pieces of at most the size, which join back to it', () => {
    expect(textPieces('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(textPieces('', 3)).toEqual([]);
  });

  it('never splits a surrogate pair', () => {
    const pieces = textPieces('ab😀cd', 3);
    expect(pieces).toEqual(['ab', '😀c', 'd']);
    expect(pieces.every((piece) => piece.isWellFormed())).toBe(true);
  });
});
