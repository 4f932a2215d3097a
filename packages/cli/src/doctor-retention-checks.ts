import { isPastRetention, retentionMs, type RetentionRules, type SessionIndexEntry } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/** Retention as this environment and the stored agents set it, and the completed sessions kept well past it. */
export interface RetentionFacts {
  /** `SIGNALBOX_RETENTION` here (already validated: a bad one is a config error). */
  installation?: string;
  agents: { agent: string; retention: string }[];
  /** Sessions past their retention by more than `retentionGraceMs`: no sweeper deleted them. */
  overdue: string[];
}

/** Far longer than a sweeper's interval (10 minutes by default): a session this late is not being swept. */
export const retentionGraceMs = 3_600_000;

/** The rows of sessions past their retention, at `now`, by more than the grace. */
export function overdueSessions(rows: readonly SessionIndexEntry[], facts: Omit<RetentionFacts, 'overdue'>, now: number): string[] {
  const rules: RetentionRules = {
    byAgent: new Map(facts.agents.map(({ agent, retention }) => [agent, retentionMs(retention)])),
    ...(facts.installation === undefined ? {} : { installation: retentionMs(facts.installation) }),
  };
  return rows.filter((row) => isPastRetention(row, rules, now - retentionGraceMs)).map(({ sessionId }) => sessionId);
}

/** A retention no sweeper enforces: the sessions it should have deleted are still there. */
export function retentionFindings(facts: RetentionFacts | undefined): Finding[] {
  if (!facts || (facts.installation === undefined && facts.agents.length === 0)) return [];
  const periods = [...facts.agents.map(({ agent, retention }) => `${agent}: ${retention}`), ...(facts.installation ? [`other agents: ${facts.installation} (SIGNALBOX_RETENTION)`] : [])];
  if (facts.overdue.length === 0) return [{ level: 'ok', message: `completed sessions are kept for ${periods.join(', ')}` }];
  const named = facts.overdue.slice(0, 5).join(', ') + (facts.overdue.length > 5 ? ', ...' : '');
  return [
    {
      level: 'warn',
      message:
        `${facts.overdue.length} completed session(s) are more than an hour past their retention (${periods.join(', ')}): ${named}. ` +
        'No retention sweeper is deleting them: start `signalbox run retention-sweeper` (or `signalbox up`) as the NATS user retention-sweeper ' +
        'of deploy/nats/users.conf, whose rights it needs; its log names a deletion that failed.',
    },
  ];
}
