import { describe, expect, it } from 'vitest';
import { scratchChanges, type Materialised, type ScratchEntry } from './scratch-changes.ts';

const sha = (letter: string) => letter.repeat(64);
const file = (path: string, letter: string): ScratchEntry => ({ kind: 'file', path, sha256: sha(letter), size: 1 });
const copied = (entries: Record<string, [string, number]>) => new Map<string, Materialised>(Object.entries(entries).map(([path, [letter, revision]]) => [path, { sha256: sha(letter), revision }]));
const anyPath = () => undefined;

describe('scratchChanges', () => {
  it('writes new and changed files and deletes missing ones, each conditioned on the revision it was copied in at', () => {
    const before = copied({ 'same.md': ['a', 3], 'changed.md': ['b', 5], 'gone.md': ['c', 7] });
    const after = [file('same.md', 'a'), file('changed.md', 'x'), file('new/file.md', 'y')];
    expect(scratchChanges(before, after, anyPath)).toEqual({
      changes: [
        { kind: 'write', path: 'changed.md', ifRevision: 5 },
        { kind: 'delete', path: 'gone.md', ifRevision: 7 },
        { kind: 'write', path: 'new/file.md', ifRevision: 0 },
      ],
      refused: [],
    });
  });

  it('changes nothing when the command changed nothing', () => {
    expect(scratchChanges(copied({ 'a.md': ['a', 1] }), [file('a.md', 'a')], anyPath)).toEqual({ changes: [], refused: [] });
  });

  it('refuses what is no regular file, and keeps the file a refused entry replaced', () => {
    const before = copied({ 'real.md': ['a', 2] });
    const after: ScratchEntry[] = [{ kind: 'refused', path: 'real.md', why: 'a symbolic link, not a regular file' }, { kind: 'refused', path: 'fifo', why: 'a fifo, not a regular file' }];
    expect(scratchChanges(before, after, anyPath)).toEqual({
      changes: [],
      refused: [
        { path: 'fifo', why: 'a fifo, not a regular file' },
        { path: 'real.md', why: 'a symbolic link, not a regular file' },
      ],
    });
  });

  it('refuses a file at a path no workspace may hold', () => {
    const problem = (path: string) => (path.includes('\u0001') ? 'must not contain control characters' : undefined);
    expect(scratchChanges(new Map(), [file('bad\u0001name', 'a'), file('good', 'b')], problem)).toEqual({
      changes: [{ kind: 'write', path: 'good', ifRevision: 0 }],
      refused: [{ path: 'bad\u0001name', why: 'not a workspace path: must not contain control characters' }],
    });
  });
});
