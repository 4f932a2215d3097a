import type { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { hasEnded } from '../core/run-outcome.ts';

/**
 * The session's events until it completes or pauses, or until `timeoutMs` has passed. A run judged
 * paused or timed out is then closed (it ends aborted), so it spends nothing more after the eval:
 * nobody resumes an eval's run, and a live model's would otherwise go on costing.
 */
export async function eventsUntilEnded(client: SignalboxClient, sessionId: string, timeoutMs: number): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for await (const event of client.follow(sessionId, AbortSignal.timeout(timeoutMs))) {
    events.push(event);
    if (hasEnded(events)) break;
  }
  const last = events.at(-1);
  if (last && last.type !== 'session.completed') {
    const reason = `ended by the eval, which judged it ${last.type === 'session.paused' ? 'paused' : `as it stood after ${timeoutMs} ms`}`;
    await client.close(sessionId, { by: 'eval', reason });
  }
  return events;
}

/** Rewinds a run went through, at most this many in a row: a supervisor rewinding for ever is not followed for ever. */
const maxRewinds = 5;

/** The logs of the forks a run's rewinds started, in order, each followed until it ends (see `runResult`). */
export async function rewindForks(client: SignalboxClient, events: readonly SessionEvent[], timeoutMs: number): Promise<SessionEvent[][]> {
  const forks: SessionEvent[][] = [];
  for (let last = events; forks.length < maxRewinds; ) {
    const end = last.at(-1);
    const fork = end?.type === 'session.completed' ? end.data.rewoundTo : undefined;
    if (fork === undefined) break;
    const forkEvents = await eventsUntilEnded(client, fork, timeoutMs);
    forks.push(forkEvents);
    last = forkEvents;
  }
  return forks;
}

/** `work` over the items, at most `concurrency` at once, the results in the items' order. */
export async function inPool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
