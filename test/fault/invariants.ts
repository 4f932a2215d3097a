import { isToolOutcome, type SessionEvent } from '@signalbox/events';
import { expect } from 'vitest';

/** What every session must look like after any fault: a contiguous log, created once, completed once. */
export function expectWholeSession(log: readonly SessionEvent[]): void {
  expect(log.map((event) => event.n)).toEqual(log.map((_, index) => index + 1));
  expect(log.filter((event) => event.type === 'session.created')).toHaveLength(1);
  expect(log.filter((event) => event.type === 'session.completed')).toHaveLength(1);
  expect(log.at(-1)?.type).toBe('session.completed');
  // Every tool call got exactly one outcome.
  const requested = log.flatMap((event) => (event.type === 'tool.requested' ? [event.data.callId] : []));
  const answered = log.flatMap((event) => (isToolOutcome(event) ? [event.data.callId] : []));
  expect(answered.sort()).toEqual(requested.sort());
}

/** Keys that ran more than once, from the keys of every execution. */
export function repeatedKeys(executions: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const key of executions) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([key]) => key);
}
