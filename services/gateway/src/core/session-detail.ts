import { replaySummary, type ReplaySummary } from '@signalbox/session';
import type { Budget, EventData, SessionEvent, SessionIndexEntry } from '@signalbox/events';

/** `GET /sessions/{id}`: what the console shows at the top of a session, read from its log and its index row. */
export interface SessionDetail extends ReplaySummary {
  correlationId: string | undefined;
  createdAt: number | undefined;
  input: string | undefined;
  budget: Budget | undefined;
  parent: { sessionId: string; callId: string } | undefined;
  forkedFrom: { sessionId: string; n: number } | undefined;
  children: { sessionId: string; agent: string; task?: string | undefined }[];
  interventions: (EventData<'supervisor.intervened'> & { n: number })[];
  memoryLoaded: { store?: string | undefined; version?: number | undefined; entries: number; problem?: string | undefined }[];
  /** Calls waiting for a person's approval now (from the index). */
  approvals: NonNullable<SessionIndexEntry['approvals']>;
  /** The index's status: it knows `idle` and `grading`, which the log's summary does not name. */
  indexStatus: SessionIndexEntry['status'] | undefined;
}

export function sessionDetail(events: readonly SessionEvent[], row: SessionIndexEntry | undefined): SessionDetail {
  const created = events.find((event) => event.type === 'session.created');
  const data = created?.type === 'session.created' ? created.data : undefined;
  return {
    ...replaySummary(events),
    correlationId: created?.correlationId,
    createdAt: created?.at,
    input: data?.input,
    budget: data?.budget,
    parent: data?.parent,
    forkedFrom: data?.forkedFrom ? { sessionId: data.forkedFrom.sessionId, n: data.forkedFrom.n } : undefined,
    children: events.flatMap((event) => (event.type === 'subagent.spawned' ? [{ sessionId: event.data.sessionId, agent: event.data.agent, task: event.data.task }] : [])),
    interventions: events.flatMap((event) => (event.type === 'supervisor.intervened' ? [{ ...event.data, n: event.n }] : [])),
    memoryLoaded: events.flatMap((event) =>
      event.type === 'memory.loaded' ? [{ store: event.data.store, version: event.data.version, entries: event.data.entries.length, problem: event.data.problem }] : [],
    ),
    approvals: row?.approvals ?? [],
    indexStatus: row?.status,
  };
}
