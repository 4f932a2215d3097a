import type { MemoryEntry, MemoryVersion } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { diffLines, dreamRunLines, storeLines, versionLines, versionTable } from './memory-texts.ts';

const entry: MemoryEntry = {
  id: 'm-0123456789abcdef', text: 'Deploys need the staging credentials', scope: { agent: 'coder' }, confidence: 0.8,
  evidence: [{ sessionId: 's-1', events: [4, 7] }], writtenBy: { kind: 'consolidation', version: 2, provider: 'ollama' }, addedIn: 2, flags: ['evidence-deleted'],
};
const written: MemoryVersion = {
  store: 'team', version: 1, parent: 0, state: 'promoted', origin: { kind: 'write', sessionId: 's-1', event: 3 },
  changes: [{ kind: 'add', id: entry.id, draft: { text: 'x', scope: 'team', confidence: 0.7, evidence: [] } }], entries: [], createdAt: 0, promoted: { by: 'session:s-1', at: 0 },
};
const dreamt: MemoryVersion = {
  ...written, version: 2, parent: 1, state: 'proposed', promoted: undefined,
  origin: { kind: 'consolidation', jobId: 'j1', provider: 'ollama', model: 'ollama/llama3', sessions: ['s-1', 's-2'] },
  changes: [{ kind: 'retire', id: entry.id, reason: 'contradicted', evidence: [], held: 'contradicts a person' }], entries: [entry],
};
const rolledBack: MemoryVersion = { ...written, version: 3, parent: 1, origin: { kind: 'rollback', to: 0, by: 'ada' }, changes: [], promoted: { by: 'ada', at: 0 } };

describe('memory texts', () => {
  it('lists stores with their heads, and says how to make one when there is none', () => {
    expect(storeLines([{ definition: { name: 'team', agents: ['a', 'b'], promotion: 'review' }, head: dreamt, waiting: 2 }])).toEqual(['team  version 2, 1 entries, 2 waiting for review  (review; agents a, b)']);
    expect(storeLines([])[0]).toMatch(/memory apply -f/);
  });

  it('sets versions side by side: state, origin, changes and held ones, who decided, the head marked', () => {
    expect(versionTable([written, dreamt, rolledBack], 3)).toEqual([
      ' version  state     origin                                   changes              decided',
      ' 1        promoted  write by session s-1 (event 3)           1 change(s)          promoted by session:s-1',
      ' 2        proposed  consolidation by ollama of 2 session(s)  1 change(s), 1 held  waiting for review',
      '*3        promoted  rollback to 0 by ada                     0 change(s)          promoted by ada',
      '(* the head: the version agents load)',
    ]);
  });

  it('shows a version\'s entries with their provenance and who read the transcripts', () => {
    expect(versionLines(dreamt, 1)).toEqual([
      'memory store team, version 2 (proposed; parent 1): consolidation by ollama of 2 session(s); waiting for review',
      'transcripts read by ollama/llama3 (provider ollama), dream job j1: s-1, s-2',
      '1 change(s) from version 1:',
      '  retire m-0123456789abcdef: contradicted  [held: contradicts a person]',
      '1 entries:',
      'm-0123456789abcdef  agent coder  confidence 0.80  [evidence-deleted]',
      '  Deploys need the staging credentials',
      '  evidence: s-1#4,7; written by consolidation version 2 (ollama); added in version 2',
    ]);
  });

  it('diffs by entries added and removed', () => {
    expect(diffLines(1, 2, { added: [entry], removed: [] })).toEqual(['from version 1 to 2: 1 added, 0 removed', '+ m-0123456789abcdef  Deploys need the staging credentials']);
    expect(diffLines(2, 2, { added: [], removed: [] })).toEqual(['versions 2 and 2 hold the same entries']);
  });

  it('says what a dream job did, and what to run next for a proposal', () => {
    const run = { jobId: 'j1', store: 'team', status: 'done' as const, versions: [2], sessions: 2, at: 0 };
    expect(dreamRunLines(run, [dreamt])).toEqual([
      'dream job j1 of memory store team: done, 2 session(s) read',
      'version 2: proposed, 1 change(s), 1 change(s) held for a person: `signalbox memory promote team 2`',
    ]);
    expect(dreamRunLines({ ...run, status: 'failed', error: 'model down', versions: [] }, [])).toEqual(['dream job j1 of memory store team: failed, 2 session(s) read: model down']);
  });
});
