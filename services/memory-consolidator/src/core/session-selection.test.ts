import type { SessionIndexEntry } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { candidateSessions, exclusionOf } from './session-selection.ts';

const row = (sessionId: string, agent: string, updatedAt: number, status: SessionIndexEntry['status'] = 'succeeded'): SessionIndexEntry => ({ sessionId, correlationId: sessionId, agent, status, createdAt: 0, updatedAt, lastN: 3 });

describe('the sessions a consolidation reads', () => {
  it('are the finished sessions of its agents it has not read, the latest finished first', () => {
    const rows = [row('old', 'scribe', 1), row('new', 'reviewer', 3), row('failed', 'scribe', 2, 'failed'), row('aborted', 'scribe', 2, 'aborted'), row('running', 'scribe', 9, 'running'), row('paused', 'scribe', 9, 'paused'), row('stranger', 'other', 9), row('read', 'scribe', 9)];
    expect(candidateSessions(rows, ['scribe', 'reviewer'], new Set(['read'])).map(({ sessionId }) => sessionId)).toEqual(['new', 'aborted', 'failed', 'old']);
  });

  it('pass over a session whose task said memory: false', () => {
    expect(exclusionOf({ memory: false }, undefined)).toBe('its task said memory: false');
    expect(exclusionOf({ memory: true }, undefined)).toBeUndefined();
  });

  it('pass over a session whose metadata lacks a value the store reads by', () => {
    expect(exclusionOf({ metadata: { team: 'ops', env: 'prod' } }, { team: 'ops' })).toBeUndefined();
    expect(exclusionOf({ metadata: { team: 'dev' } }, { team: 'ops' })).toBe('its metadata has no team=ops');
    expect(exclusionOf({}, { team: 'ops' })).toBe('its metadata has no team=ops');
  });

  it('pass over a session an eval ran, unless its suite asked to feed memory or the store reads by the eval tag', () => {
    const tagged = { eval: 'e1', 'eval.task': 'notes' };
    expect(exclusionOf({ metadata: tagged }, undefined)).toBe('it ran in eval e1, which did not ask to feed memory');
    expect(exclusionOf({ metadata: { ...tagged, 'eval.memory': 'feed' } }, undefined)).toBeUndefined();
    expect(exclusionOf({ metadata: tagged }, { eval: 'e1' })).toBeUndefined();
    expect(exclusionOf({ metadata: tagged }, { eval: 'e2' })).toBe('its metadata has no eval=e2');
  });
});
