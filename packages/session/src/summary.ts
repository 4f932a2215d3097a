import { isToolOutcome, type SessionEvent, type Totals } from '@signalbox/events';
import { totalsOf } from './state.ts';

/** What a session came to: its outcome, and its totals once it has completed. */
export interface SessionSummary {
  sessionId: string;
  agent: string | undefined;
  /** `paused` while its last pause has not been resumed. */
  status: 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted';
  events: number;
  durationMs: number;
  totals: Totals | undefined;
  output: string | undefined;
  /** The answer's JSON value, for a session whose task or agent gave an `output` schema and whose answer satisfied it. */
  structuredOutput?: unknown;
  reason: string | undefined;
  /** The session's grades in order (outcome.graded; several for an attempt graded again after a problem). */
  grades: SessionGrade[];
}

/** One grade of a session's outcome, as `outcome.graded` recorded it. */
export interface SessionGrade {
  attempt: number;
  passed: boolean;
  score: number;
}

/** What a session came to, read from its events. */
export function summarise(sessionId: string, events: readonly SessionEvent[]): SessionSummary {
  const created = events.find((event) => event.type === 'session.created');
  const completed = events.find((event) => event.type === 'session.completed');
  const first = events[0]?.at ?? 0;
  const pauseOrResume = events.findLast((event) => event.type === 'session.paused' || event.type === 'session.resumed');
  const running = pauseOrResume?.type === 'session.paused' ? 'paused' : 'running';
  return {
    sessionId,
    agent: created?.type === 'session.created' ? created.data.agent.name : undefined,
    status: completed?.type === 'session.completed' ? completed.data.status : running,
    events: events.length,
    durationMs: (events.at(-1)?.at ?? first) - first,
    totals: completed?.type === 'session.completed' ? completed.data.totals : undefined,
    output: completed?.type === 'session.completed' ? completed.data.output : undefined,
    ...(completed?.type === 'session.completed' && completed.data.structuredOutput !== undefined ? { structuredOutput: completed.data.structuredOutput } : {}),
    reason: completed?.type === 'session.completed' ? completed.data.reason : undefined,
    grades: events.flatMap((event) => (event.type === 'outcome.graded' ? [{ attempt: event.data.attempt, passed: event.data.passed, score: event.data.score }] : [])),
  };
}

/** What a replay came to: the session's summary, plus what the run did up to where the replay stopped. */
export interface ReplaySummary extends SessionSummary {
  /** The last event replayed. */
  to: number;
  /** Totals counted from the replayed events; the recorded ones when the session completed within them. */
  totals: Totals;
  modelCalls: number;
  modelFailures: number;
  toolFailures: number;
}

/** The summary of a run replayed up to event `to` (all of it when undefined), as `replay --json` prints it. */
export function replaySummary(events: readonly SessionEvent[], to?: number): ReplaySummary {
  const shown = to === undefined ? events : events.filter((event) => event.n <= to);
  const summary = summarise(events[0]?.sessionId ?? '', shown);
  return {
    ...summary,
    to: shown.at(-1)?.n ?? 0,
    totals: summary.totals ?? totalsOf(shown),
    modelCalls: shown.filter((event) => event.type === 'model.requested').length,
    modelFailures: shown.filter((event) => event.type === 'model.failed').length,
    toolFailures: shown.filter((event) => isToolOutcome(event) && event.type !== 'tool.completed').length,
  };
}
