import { z } from 'zod';

const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const shortest = unitMs.h;
const longest = 3650 * unitMs.d;

/**
 * How long a completed session is kept before the retention sweeper deletes it: a whole number and a
 * unit, `90m`, `12h`, `30d`, from an hour to ten years (an hour at least, so a typo cannot delete a
 * session as it completes).
 */
export const RetentionPeriod = z
  .string()
  .regex(/^[1-9]\d{0,6}[mhd]$/, 'a retention period is a whole number and a unit: m (minutes), h (hours) or d (days), like "30d"')
  .refine((period) => retentionMs(period) >= shortest && retentionMs(period) <= longest, 'a retention period is between 1h and 3650d');
export type RetentionPeriod = z.infer<typeof RetentionPeriod>;

/** The period in milliseconds; call it on a parsed `RetentionPeriod`. */
export function retentionMs(period: string): number {
  const unit = period.at(-1) as keyof typeof unitMs;
  return Number(period.slice(0, -1)) * unitMs[unit];
}

/** How long completed sessions are kept, in ms: per agent (its `retention`), else the installation's; unset: for ever. */
export interface RetentionRules {
  byAgent: ReadonlyMap<string, number>;
  installation?: number;
}

const completedStatuses: ReadonlySet<string> = new Set(['succeeded', 'failed', 'aborted']);

/** Whether a session (as the sessions index shows it) completed longer than its retention period before `now`. */
export function isPastRetention(session: { agent: string; status: string; updatedAt: number }, rules: RetentionRules, now: number): boolean {
  const keepMs = rules.byAgent.get(session.agent) ?? rules.installation;
  return keepMs !== undefined && completedStatuses.has(session.status) && now - session.updatedAt > keepMs;
}
