import type { SessionIndexEntry } from '@signalbox/events';

/** What `GET /sessions` narrows the list to; times are ms since the epoch, costs US dollars. */
export interface SessionFilter {
  status?: SessionIndexEntry['status'] | undefined;
  agent?: string | undefined;
  /** Created at or after. */
  since?: number | undefined;
  /** Created before. */
  until?: number | undefined;
  minCost?: number | undefined;
  maxCost?: number | undefined;
  limit: number;
  /** The `next` cursor of the page before: this page starts after that session. */
  before?: string | undefined;
}

export interface SessionPage {
  sessions: SessionIndexEntry[];
  /** Pass as `before` for the next page; absent on the last. */
  next?: string;
}

/**
 * One page of the sessions `filter` lets through, newest first (ties by session id). A cost filter
 * leaves out rows that record no cost (written before the index kept it): their cost is unknown.
 */
export function filterSessions(entries: readonly SessionIndexEntry[], filter: SessionFilter): SessionPage {
  const after = filter.before === undefined ? undefined : parseCursor(filter.before);
  const matching = [...entries].sort(newestFirst).filter((entry) => matches(entry, filter) && (after === undefined || newestFirst(entry, after) > 0));
  const sessions = matching.slice(0, filter.limit);
  const last = sessions.at(-1);
  return matching.length > filter.limit && last ? { sessions, next: cursorOf(last) } : { sessions };
}

function matches(entry: SessionIndexEntry, filter: SessionFilter): boolean {
  if (filter.status !== undefined && entry.status !== filter.status) return false;
  if (filter.agent !== undefined && entry.agent !== filter.agent) return false;
  if (filter.since !== undefined && entry.createdAt < filter.since) return false;
  if (filter.until !== undefined && entry.createdAt >= filter.until) return false;
  if (filter.minCost === undefined && filter.maxCost === undefined) return true;
  if (entry.costUsd === undefined) return false;
  return entry.costUsd >= (filter.minCost ?? 0) && entry.costUsd <= (filter.maxCost ?? Number.POSITIVE_INFINITY);
}

type Position = Pick<SessionIndexEntry, 'createdAt' | 'sessionId'>;

function newestFirst(a: Position, b: Position): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.sessionId < b.sessionId ? 1 : a.sessionId > b.sessionId ? -1 : 0;
}

/** `<createdAt>:<sessionId>`: a position that holds when sessions are added or deleted between pages. */
export function cursorOf(entry: Position): string {
  return `${entry.createdAt}:${entry.sessionId}`;
}

/** The position a cursor names; a malformed one names the start, so a page is never skipped. */
function parseCursor(cursor: string): Position | undefined {
  const colon = cursor.indexOf(':');
  const createdAt = Number(cursor.slice(0, colon));
  if (colon < 1 || !Number.isInteger(createdAt)) return undefined;
  return { createdAt, sessionId: cursor.slice(colon + 1) };
}
