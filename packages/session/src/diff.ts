import { isDeepStrictEqual } from 'node:util';
import type { SessionEvent } from '@signalbox/events';
import { summarise, type SessionSummary } from './summary.ts';

/** The first event at which two sessions differ; an event is missing where one log is shorter. */
export interface SessionDivergence {
  n: number;
  a: Pick<SessionEvent, 'type' | 'data'> | undefined;
  b: Pick<SessionEvent, 'type' | 'data'> | undefined;
}

export interface SessionDiff {
  /** undefined when the two logs hold the same events. */
  divergence: SessionDivergence | undefined;
  a: SessionSummary;
  b: SessionSummary;
}

/**
 * Where two sessions part (the first `n` whose type or data differ) and what each came to. Envelopes
 * are not compared, nor what differs between any two runs of the same steps: timings (`latencyMs`,
 * `durationMs`), idempotency keys (they hold the session id), and a fork's `forkedFrom` and
 * `deciderVersion` (a fork records the version of the code that runs it: the steps show what it changed).
 */
export function diffSessions(a: readonly SessionEvent[], b: readonly SessionEvent[]): SessionDiff {
  const summaries = { a: summarise(a[0]?.sessionId ?? '', a), b: summarise(b[0]?.sessionId ?? '', b) };
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const left = a[index];
    const right = b[index];
    if (left && right && left.type === right.type && isDeepStrictEqual(comparable(left), comparable(right))) continue;
    return { divergence: { n: index + 1, a: left && { type: left.type, data: left.data }, b: right && { type: right.type, data: right.data } }, ...summaries };
  }
  return { divergence: undefined, ...summaries };
}

const runSpecific = new Set(['latencyMs', 'durationMs', 'idempotencyKey']);
const createdSpecific = new Set(['forkedFrom', 'deciderVersion']);

function comparable(event: SessionEvent): Record<string, unknown> {
  const entries = Object.entries(event.data).filter(
    ([key, value]) => value !== undefined && !runSpecific.has(key) && !(event.type === 'session.created' && createdSpecific.has(key)),
  );
  return Object.fromEntries(entries);
}
