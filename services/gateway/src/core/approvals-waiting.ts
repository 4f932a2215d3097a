import type { SessionIndexEntry } from '@signalbox/events';

/** How many calls wait for a person's approval, by tool, across the sessions index's rows. */
export function approvalsWaitingByTool(rows: readonly SessionIndexEntry[]): Map<string, number> {
  const waiting = new Map<string, number>();
  for (const row of rows) {
    for (const approval of row.approvals ?? []) waiting.set(approval.tool, (waiting.get(approval.tool) ?? 0) + 1);
  }
  return waiting;
}
