import type { EventData, SessionIndexEntry } from '@signalbox/events';

/** The statuses a session ends in: only a finished session's transcript is consolidated. */
const finished: ReadonlySet<SessionIndexEntry['status']> = new Set(['succeeded', 'failed', 'aborted']);

/**
 * The sessions a consolidation may read, in the order it reads them: finished, of one of `agents`,
 * not read by an earlier consolidation of the store, the latest finished first.
 */
export function candidateSessions(rows: readonly SessionIndexEntry[], agents: readonly string[], alreadyRead: ReadonlySet<string>): SessionIndexEntry[] {
  const wanted = new Set(agents);
  return rows
    .filter((row) => finished.has(row.status) && wanted.has(row.agent) && !alreadyRead.has(row.sessionId))
    .sort((a, b) => b.updatedAt - a.updatedAt || a.sessionId.localeCompare(b.sessionId));
}

/**
 * Why a session must not be read, from its `session.created`: its task opted out, it ran in an eval
 * (tagged `eval`; its suite did not set `feedMemory`, and the store does not read by the tag), or its
 * metadata lacks a value the store reads by.
 */
export function exclusionOf(created: Pick<EventData<'session.created'>, 'memory' | 'metadata'>, metadata: Readonly<Record<string, string>> | undefined): string | undefined {
  if (created.memory === false) return 'its task said memory: false';
  const evalId = created.metadata?.['eval'];
  if (evalId !== undefined && created.metadata?.['eval.memory'] !== 'feed' && metadata?.['eval'] === undefined) return `it ran in eval ${evalId}, which did not ask to feed memory`;
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (created.metadata?.[key] !== value) return `its metadata has no ${key}=${value}`;
  }
  return undefined;
}
