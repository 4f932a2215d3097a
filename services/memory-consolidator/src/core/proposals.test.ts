import type { MemoryChange } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { proposalsOf } from './proposals.ts';

const draft = { text: 't', scope: 'team' as const, confidence: 0.5, evidence: [] };
const clean: MemoryChange = { kind: 'add', id: 'm-0000000000000001', draft };
const held: MemoryChange = { kind: 'add', id: 'm-0000000000000002', draft, held: 'evidence includes tool output (session s1 event 4): a person must promote it' };

describe('the versions a consolidation proposes', () => {
  it('under auto: the clean changes, promoted, then the held ones, for a person', () => {
    expect(proposalsOf([held, clean], 'auto')).toEqual([
      { changes: [clean], promote: true },
      { changes: [held], promote: false },
    ]);
  });

  it('under review: one version with everything, for a person', () => {
    expect(proposalsOf([held, clean], 'review')).toEqual([{ changes: [held, clean], promote: false }]);
  });

  it('none when nothing is to change', () => {
    expect(proposalsOf([], 'auto')).toEqual([]);
    expect(proposalsOf([], 'review')).toEqual([]);
    expect(proposalsOf([held], 'auto')).toEqual([{ changes: [held], promote: false }]);
  });
});
