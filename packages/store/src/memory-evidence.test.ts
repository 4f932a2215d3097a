import type { MemoryEntry, MemoryVersion } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { deletedSessionAlias, withoutSession } from './memory-evidence.ts';

const entry = (id: string, fields: Partial<MemoryEntry>): MemoryEntry => ({
  id, text: id, scope: 'team', confidence: 0.5, evidence: [], writtenBy: { kind: 'person', name: 'ada' }, addedIn: 1, flags: [], ...fields,
});

const cited = entry('m-000000000000000a', { evidence: [{ sessionId: 'gone', events: [3] }, { sessionId: 'kept', events: [4] }] });
const written = entry('m-000000000000000b', { writtenBy: { kind: 'session', sessionId: 'gone', event: 7 } });
const other = entry('m-000000000000000c', { evidence: [{ sessionId: 'kept', events: [1] }] });

const version: MemoryVersion = {
  store: 'team', version: 1, parent: 0, state: 'promoted', origin: { kind: 'write', sessionId: 'gone', event: 7 },
  changes: [{ kind: 'add', id: cited.id, draft: { text: cited.id, scope: 'team', confidence: 0.5, evidence: cited.evidence } }],
  entries: [cited, written, other], createdAt: 0, promoted: { by: 'session:gone', at: 0 },
};
const alias = deletedSessionAlias('gone');

describe('withoutSession', () => {
  it('strips a deleted session\'s evidence from entries and changes, flagging what cited it or was written by it', () => {
    const stripped = withoutSession(version, 'gone');
    expect(stripped?.entries).toEqual([
      { ...cited, evidence: [{ sessionId: 'kept', events: [4] }], flags: ['evidence-deleted'] },
      { ...written, writtenBy: { kind: 'session', sessionId: alias, event: 7 }, flags: ['evidence-deleted'] },
      other,
    ]);
    expect(stripped?.changes[0]).toMatchObject({ draft: { evidence: [{ sessionId: 'kept', events: [4] }] } });
    // Where it names who wrote or what was read, an alias stands for the id, which a deletion removes everywhere.
    expect(stripped?.origin).toEqual({ kind: 'write', sessionId: alias, event: 7 });
    expect(stripped?.promoted).toEqual({ by: `session:${alias}`, at: 0 });
    expect(JSON.stringify(stripped)).not.toMatch(/\bgone\b/);
    expect(alias).toMatch(/^deleted-[0-9a-f]{16}$/);
  });

  it('renames the session in the list a consolidation read', () => {
    const read: MemoryVersion = { ...version, entries: [other], changes: [], promoted: undefined, origin: { kind: 'consolidation', jobId: 'j', provider: 'p', model: 'p/m', sessions: ['kept', 'gone'] } };
    expect(withoutSession(read, 'gone')?.origin).toMatchObject({ sessions: ['kept', alias] });
  });

  it('changes nothing the second time, or for a session nothing cites', () => {
    const stripped = withoutSession(version, 'gone');
    expect(stripped && withoutSession(stripped, 'gone')).toBeUndefined();
    expect(withoutSession(version, 'never')).toBeUndefined();
  });
});
