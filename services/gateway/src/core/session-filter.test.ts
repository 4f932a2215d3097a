import type { SessionIndexEntry } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { filterSessions } from './session-filter.ts';

function row(sessionId: string, createdAt: number, more: Partial<SessionIndexEntry> = {}): SessionIndexEntry {
  return { sessionId, correlationId: sessionId, agent: 'triage', status: 'succeeded', createdAt, updatedAt: createdAt, lastN: 4, ...more };
}

const rows = [
  row('a', 100, { costUsd: 0.5, steps: 2 }),
  row('b', 300, { agent: 'coder', status: 'running', costUsd: 2, steps: 9 }),
  row('c', 200, { status: 'failed', costUsd: 1 }),
  row('old', 50),
];
const ids = (page: { sessions: SessionIndexEntry[] }) => page.sessions.map((s) => s.sessionId);

describe('listing sessions', () => {
  it('lists newest first', () => {
    expect(ids(filterSessions(rows, { limit: 10 }))).toEqual(['b', 'c', 'a', 'old']);
  });

  it('filters by status and agent', () => {
    expect(ids(filterSessions(rows, { limit: 10, status: 'failed' }))).toEqual(['c']);
    expect(ids(filterSessions(rows, { limit: 10, agent: 'coder' }))).toEqual(['b']);
  });

  it('filters by creation time: since inclusive, until exclusive', () => {
    expect(ids(filterSessions(rows, { limit: 10, since: 100, until: 300 }))).toEqual(['c', 'a']);
  });

  it('filters by cost, leaving out rows that recorded none (written before the index kept it)', () => {
    expect(ids(filterSessions(rows, { limit: 10, minCost: 1 }))).toEqual(['b', 'c']);
    expect(ids(filterSessions(rows, { limit: 10, maxCost: 1 }))).toEqual(['c', 'a']);
  });

  it('pages with a cursor that holds when sessions come and go between pages', () => {
    const first = filterSessions(rows, { limit: 2 });
    expect(ids(first)).toEqual(['b', 'c']);
    expect(first.next).toBe('200:c');
    const withNewer = [row('newest', 999), ...rows.filter((r) => r.sessionId !== 'c')];
    const second = filterSessions(withNewer, { limit: 2, before: first.next });
    expect(ids(second)).toEqual(['a', 'old']);
    expect(second.next).toBeUndefined();
  });

  it('orders sessions created in the same millisecond by id, so no page repeats or skips one', () => {
    const same = [row('x1', 5), row('x3', 5), row('x2', 5)];
    const first = filterSessions(same, { limit: 2 });
    expect(ids(first)).toEqual(['x3', 'x2']);
    expect(ids(filterSessions(same, { limit: 2, before: first.next }))).toEqual(['x1']);
  });

  it('starts from the top on a malformed cursor rather than skipping sessions', () => {
    expect(ids(filterSessions(rows, { limit: 1, before: 'nonsense' }))).toEqual(['b']);
  });
});
