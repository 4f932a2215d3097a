import type { SessionEvent } from '@signalbox/events';
import { defaultTreeLimits, type TreeLimits, type UnreadChild } from './run-tree.ts';

/** A session followed as part of a run: the root is lane 0, each child the next number as it is seen spawned. */
export interface Lane {
  number: number;
  sessionId: string;
  agent: string;
  depth: number;
  /** The session that spawned it; undefined for the root. */
  parent: string | undefined;
}

/** What following a run yields: a lane's next event, or a child its parent spawned that is not followed, and why. */
export type TreeEvent = { kind: 'event'; lane: Lane; event: SessionEvent } | { kind: 'unread'; lane: Lane; child: UnreadChild };

export interface TreeFollowOptions {
  signal?: AbortSignal;
  limits?: TreeLimits;
}

/** How `followRunTree` reaches the logs: a session's events live to its end, and whether it has a log at all. */
export interface TreeLogs {
  follow(sessionId: string, signal: AbortSignal): AsyncIterable<SessionEvent>;
  hasLog(sessionId: string): Promise<boolean>;
}

interface Followed {
  lane: Lane;
  events: AsyncIterator<SessionEvent>;
  /** Never rejects: a lane's failure is carried to the loop, which throws it, so one left unraced at the end is no unhandled rejection. */
  next: Promise<{ sessionId: string; result: IteratorResult<SessionEvent> } | { sessionId: string; error: unknown }>;
  stop: AbortController;
  seenAny: boolean;
}

/**
 * Follows the root session and every child as its parent's `subagent.spawned` is seen, merged in the
 * order events arrive, until every followed session has completed. A child whose parent records it
 * completed while its log holds nothing (it never started) is dropped, so the run's end is not waited
 * past. The same limits as `readRunTree` hold, counted in sessions followed.
 */
export async function* followRunTree(root: { sessionId: string; agent: string }, logs: TreeLogs, options: TreeFollowOptions = {}): AsyncGenerator<TreeEvent> {
  const { maxDepth, maxSessions } = { ...defaultTreeLimits, ...options.limits };
  const all = new AbortController();
  const abortAll = () => all.abort();
  options.signal?.addEventListener('abort', abortAll, { once: true });
  const active = new Map<string, Followed>();
  const lanes = new Map<string, Lane>();
  const start = (lane: Lane) => {
    lanes.set(lane.sessionId, lane);
    const stop = new AbortController();
    const events = logs.follow(lane.sessionId, AbortSignal.any([all.signal, stop.signal]))[Symbol.asyncIterator]();
    active.set(lane.sessionId, { lane, events, stop, seenAny: false, next: advance(lane.sessionId, events) });
  };
  start({ number: 0, sessionId: root.sessionId, agent: root.agent, depth: 0, parent: undefined });
  try {
    while (active.size > 0) {
      const next = await Promise.race([...active.values()].map((each) => each.next));
      if ('error' in next) throw next.error;
      const { sessionId, result } = next;
      const followed = active.get(sessionId)!;
      if (result.done) {
        active.delete(sessionId);
        continue;
      }
      followed.next = advance(sessionId, followed.events);
      followed.seenAny = true;
      const { lane } = followed;
      const event = result.value;
      if (event.type === 'session.created' && lane.parent !== undefined && event.data.parent?.sessionId !== lane.parent) {
        followed.stop.abort();
        yield { kind: 'unread', lane: lanes.get(lane.parent) ?? lane, child: { sessionId: lane.sessionId, agent: lane.agent, reason: 'its log names another parent' } };
        continue;
      }
      yield { kind: 'event', lane, event };
      if (event.type === 'subagent.spawned') {
        const { sessionId, agent } = event.data;
        const reason = lanes.has(sessionId) ? 'already in the tree' : lane.depth >= maxDepth ? 'deeper than the limit' : lanes.size >= maxSessions ? 'more sessions than the limit' : undefined;
        if (reason === undefined) start({ number: lanes.size, sessionId, agent, depth: lane.depth + 1, parent: lane.sessionId });
        else yield { kind: 'unread', lane, child: { sessionId, agent, reason } };
      }
      if (event.type === 'subagent.completed') {
        const child = active.get(event.data.sessionId);
        if (child && !child.seenAny && !(await logs.hasLog(child.lane.sessionId))) child.stop.abort();
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', abortAll);
    all.abort();
  }
}

function advance(sessionId: string, events: AsyncIterator<SessionEvent>): Followed['next'] {
  return events.next().then(
    (result) => ({ sessionId, result }),
    (error: unknown) => ({ sessionId, error }),
  );
}
