import { isPastRetention, type RetentionRules } from '@signalbox/events';
import type { SessionFacts } from '@signalbox/store';
import { describe, expect, it } from 'vitest';
import { sweep } from './expired-sessions.ts';

const day = 86_400_000;
const now = 100 * day;
const session = (sessionId: string, more: Partial<SessionFacts> = {}): SessionFacts => ({
  sessionId,
  root: sessionId,
  status: 'succeeded',
  agent: 'writer',
  updatedAt: now - 40 * day,
  ...more,
});
const thirtyDays: RetentionRules = { byAgent: new Map(), installation: 30 * day };

describe('isPastRetention', () => {
  it('given no retention anywhere, then nothing ever expires', () => {
    expect(isPastRetention(session('a', { updatedAt: 0 }), { byAgent: new Map() }, now)).toBe(false);
  });

  it("given an agent's retention, then it wins over the installation's", () => {
    const rules = { byAgent: new Map([['writer', 60 * day]]), installation: 30 * day };
    expect(isPastRetention(session('a'), rules, now)).toBe(false);
    expect(isPastRetention(session('b', { agent: 'other' }), rules, now)).toBe(true);
  });

  it('given a session completed just at its period, then it is kept until the period has passed', () => {
    expect(isPastRetention(session('a', { updatedAt: now - 30 * day }), thirtyDays, now)).toBe(false);
    expect(isPastRetention(session('a', { updatedAt: now - 30 * day }), thirtyDays, now + 1)).toBe(true);
  });

  it('given a running or paused session however old, then it is never expired', () => {
    expect(isPastRetention(session('a', { status: 'running', updatedAt: 0 }), thirtyDays, now)).toBe(false);
    expect(isPastRetention(session('a', { status: 'paused', updatedAt: 0 }), thirtyDays, now)).toBe(false);
  });
});

describe('sweep', () => {
  it('given expired and fresh sessions, when swept, then only the expired are deleted, with their workspaces', () => {
    const result = sweep([session('old'), session('new', { updatedAt: now - day })], thirtyDays, now);
    expect(result).toEqual({ deletions: [{ sessionId: 'old', root: 'old', deletesWorkspace: true }], held: [] });
  });

  it('given an expired origin whose fork is kept, when swept, then the origin waits for its fork', () => {
    const result = sweep([session('origin'), session('fork', { forkedFrom: 'origin', updatedAt: now - day })], thirtyDays, now);
    expect(result).toEqual({ deletions: [], held: [{ sessionId: 'origin', by: ['fork'] }] });
  });

  it('given a chain whose last fork is kept, when swept, then the whole chain waits', () => {
    const known = [session('a'), session('b', { forkedFrom: 'a' }), session('c', { forkedFrom: 'b', status: 'running' })];
    expect(sweep(known, thirtyDays, now).deletions).toEqual([]);
  });

  it('given an expired origin and its expired fork, when swept, then both go, the fork first', () => {
    const result = sweep([session('origin'), session('fork', { forkedFrom: 'origin' })], thirtyDays, now);
    expect(result.deletions.map(({ sessionId }) => sessionId)).toEqual(['fork', 'origin']);
  });

  it('given the same facts, when two replicas sweep, then they plan the same deletions (each idempotent)', () => {
    const known = [session('a'), session('b', { updatedAt: now - 31 * day }), session('c', { updatedAt: now })];
    expect(sweep(known, thirtyDays, now)).toEqual(sweep(known, thirtyDays, now));
  });
});
