import type { MemoryEntry } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { memoryEntryId } from './memory-changes.ts';
import { rankMemory } from './memory-ranking.ts';

const entry = (text: string, confidence: number, scope: MemoryEntry['scope'] = 'team', addedIn = 1): MemoryEntry => ({
  id: memoryEntryId(text), text, scope, confidence, evidence: [], writtenBy: { kind: 'person', name: 'ada' }, addedIn, flags: [],
});

const entries = [
  entry('The deploy script needs the staging credentials first', 0.9),
  entry('Invoices are due on the first Monday of the month', 0.4),
  entry('Deployments to production wait for a green build', 0.6),
  entry('Reviewer only: never deploy on Fridays', 0.99, { agent: 'reviewer' }),
];

describe('rankMemory', () => {
  it('ranks the entries matching the query first, by words and their beginnings', () => {
    const ranked = rankMemory(entries, 'deploy', { limit: 5, agent: 'coder' });
    expect(ranked.map(({ text }) => text)).toEqual(['The deploy script needs the staging credentials first', 'Deployments to production wait for a green build']);
  });

  it('never returns an entry scoped to another agent, and returns its own', () => {
    expect(rankMemory(entries, 'fridays', { limit: 5, agent: 'coder' })).not.toContainEqual(expect.objectContaining({ scope: { agent: 'reviewer' } }));
    expect(rankMemory(entries, 'fridays', { limit: 5, agent: 'reviewer' })[0]?.text).toBe('Reviewer only: never deploy on Fridays');
  });

  it('with nothing matching, returns the most confident entries up to the limit', () => {
    expect(rankMemory(entries, 'zebra', { limit: 2, agent: 'coder' }).map(({ confidence }) => confidence)).toEqual([0.9, 0.6]);
    expect(rankMemory(entries, '', { limit: 1, agent: 'reviewer' }).map(({ confidence }) => confidence)).toEqual([0.99]);
    expect(rankMemory(entries, 'deploy', { limit: 0, agent: 'coder' })).toEqual([]);
  });
});
