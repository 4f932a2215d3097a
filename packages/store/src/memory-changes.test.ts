import type { MemoryAuthor, MemoryChange, MemoryEntry, MemoryVersion } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { applyChanges, diffVersions, memoryEntryId, rebaseVersion } from './memory-changes.ts';

const person: MemoryAuthor = { kind: 'person', name: 'ada' };
const draft = (text: string) => ({ text, scope: 'team' as const, confidence: 0.5, evidence: [] });
const add = (id: string, text: string): MemoryChange => ({ kind: 'add', id, draft: draft(text) });
const id = (seed: string) => memoryEntryId(seed);
const texts = (entries: readonly MemoryEntry[]) => entries.map(({ text }) => text);

describe('memoryEntryId', () => {
  it('is m- and the first 16 hex digits of the seed\'s sha256, the same for the same seed', () => {
    expect(memoryEntryId('abc')).toBe('m-ba7816bf8f01cfea');
    expect(memoryEntryId('abc')).toBe(memoryEntryId('abc'));
  });
});

describe('applyChanges', () => {
  it('adds entries with their author and version, skipping an add whose id is there already', () => {
    const entries = applyChanges([], [add(id('a'), 'A'), add(id('a'), 'A again')], 3, person);
    expect(entries).toEqual([{ id: id('a'), text: 'A', scope: 'team', confidence: 0.5, evidence: [], writtenBy: person, addedIn: 3, flags: [] }]);
  });

  it('merges several entries into one and retires one, passing over ids that are not there', () => {
    const start = applyChanges([], [add(id('a'), 'A'), add(id('b'), 'B'), add(id('c'), 'C')], 1, person);
    const changed = applyChanges(start, [
      { kind: 'merge', id: id('ab'), ids: [id('a'), id('b')], draft: draft('A and B') },
      { kind: 'retire', id: id('c'), reason: 'wrong', evidence: [] },
      { kind: 'retire', id: id('gone'), reason: 'never there', evidence: [] },
    ], 2, person);
    expect(texts(changed)).toEqual(['A and B']);
    expect(changed[0]?.addedIn).toBe(2);
    expect(texts(start)).toEqual(['A', 'B', 'C']);
  });
});

const version = (n: number, entries: MemoryEntry[], changes: MemoryChange[] = []): MemoryVersion => ({
  store: 'team', version: n, parent: n - 1, state: 'promoted', origin: { kind: 'rollback', to: 0, by: 'ada' }, changes, entries, createdAt: 0,
});

describe('diffVersions', () => {
  it('names the entries added and removed by id, everything added against no version', () => {
    const [a, b, c] = applyChanges([], [add(id('a'), 'A'), add(id('b'), 'B'), add(id('c'), 'C')], 1, person);
    if (!a || !b || !c) throw new Error('three entries');
    expect(diffVersions(version(1, [a, b]), version(2, [b, c]))).toEqual({ added: [c], removed: [a] });
    expect(diffVersions(undefined, version(1, [a]))).toEqual({ added: [a], removed: [] });
  });
});

describe('rebaseVersion', () => {
  it('applies a version\'s changes again onto a new parent, keeping a rollback\'s entries as they are', () => {
    const parent = version(4, applyChanges([], [add(id('p'), 'P')], 4, person));
    const proposal: MemoryVersion = { ...version(3, [], [add(id('x'), 'X')]), state: 'proposed', parent: 1, origin: { kind: 'consolidation', jobId: 'j', provider: 'scripted', model: 'scripted/m', sessions: [] } };
    const rebased = rebaseVersion(proposal, parent);
    expect(rebased.parent).toBe(4);
    expect(texts(rebased.entries)).toEqual(['P', 'X']);
    expect(rebased.entries[1]?.writtenBy).toEqual({ kind: 'consolidation', version: 3, provider: 'scripted' });
    const rollback = version(5, []);
    expect(rebaseVersion(rollback, parent)).toEqual({ ...rollback, parent: 4 });
  });
});
