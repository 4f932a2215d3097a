import type { LogEvent } from './events.ts';

/**
 * Adds events to a session's timeline in log order, once each (a stream resumed after a reconnect may
 * send again what the page holds), and says from where events are missing when one arrives past a gap.
 */
export function mergeEvents(held: readonly LogEvent[], arrived: readonly LogEvent[]): { events: LogEvent[]; missingAfter: number | undefined } {
  // The usual case, a live stream going on where the page is: appended as they come, with no sort of what it holds.
  const next = held.length + 1;
  if ((held.at(-1)?.n ?? 0) === held.length && arrived.every((event, index) => event.n === next + index)) return { events: [...held, ...arrived], missingAfter: undefined };
  const byN = new Map(held.map((event) => [event.n, event]));
  for (const event of arrived) if (Number.isInteger(event.n) && event.n > 0) byN.set(event.n, event);
  const events = [...byN.values()].sort((a, b) => a.n - b.n);
  const gap = events.findIndex((event, index) => event.n !== index + 1);
  return { events, missingAfter: gap === -1 ? undefined : gap };
}
