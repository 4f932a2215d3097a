import type { SessionIndexEntry } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { overdueSessions, retentionFindings, retentionGraceMs } from './doctor-retention-checks.ts';

const day = 86_400_000;
const now = 100 * day;
const row = (sessionId: string, agent: string, updatedAt: number, status: SessionIndexEntry['status'] = 'succeeded'): SessionIndexEntry => ({
  sessionId,
  correlationId: sessionId,
  agent,
  status,
  createdAt: 0,
  updatedAt,
  lastN: 3,
});

describe('doctor on retention', () => {
  it("finds completed sessions past their agent's or the installation's retention by more than the grace", () => {
    const rows = [row('old', 'writer', now - 8 * day), row('late', 'other', now - 31 * day), row('just', 'other', now - 30 * day - retentionGraceMs / 2), row('live', 'other', 0, 'running')];
    expect(overdueSessions(rows, { agents: [{ agent: 'writer', retention: '7d' }], installation: '30d' }, now)).toEqual(['old', 'late']);
  });

  it('warns of sessions a sweeper should have deleted, naming the fix and the user it runs as', () => {
    const [finding] = retentionFindings({ installation: '30d', agents: [], overdue: ['s1', 's2'] });
    expect(finding).toEqual({ level: 'warn', message: expect.stringMatching(/^2 completed session\(s\) are more than an hour past their retention \(other agents: 30d \(SIGNALBOX_RETENTION\)\): s1, s2\. .*signalbox run retention-sweeper.*retention-sweeper/) });
  });

  it('says what is kept for how long when the sweeper keeps up, and nothing without a retention', () => {
    expect(retentionFindings({ agents: [{ agent: 'writer', retention: '7d' }], overdue: [] })).toEqual([{ level: 'ok', message: 'completed sessions are kept for writer: 7d' }]);
    expect(retentionFindings({ agents: [], overdue: [] })).toEqual([]);
    expect(retentionFindings(undefined)).toEqual([]);
  });
});
