import type { SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { childCompleted, completed, created, runTreeLogs, sessionLog, spawned, spent, treeIds } from '../../../test/fixtures/run-tree.ts';
import { followRunTree, type TreeEvent, type TreeLogs } from './tree-follow.ts';

/**
 * Logs in memory, followed as the store's tail is: each log's events, then (one not completed) waiting
 * until the signal aborts.
 */
function memoryLogs(logs: Map<string, SessionEvent[]>): TreeLogs & { following: string[] } {
  const following: string[] = [];
  return {
    following,
    hasLog: (sessionId) => Promise.resolve((logs.get(sessionId)?.length ?? 0) > 0),
    async *follow(sessionId, signal) {
      following.push(sessionId);
      for (const event of logs.get(sessionId) ?? []) {
        await Promise.resolve();
        yield event;
        if (event.type === 'session.completed') return;
      }
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  };
}

const collect = async (events: AsyncIterable<TreeEvent>) => {
  const all: TreeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
};
const lanesOf = (events: TreeEvent[]) => events.flatMap((each) => (each.kind === 'event' ? [`${each.lane.number} ${each.lane.agent} ${each.event.type}`] : []));

describe('following a run live', () => {
  it('follows each child from its parent’s subagent.spawned, in lanes, until every session has completed', async () => {
    const logs = memoryLogs(runTreeLogs());
    const events = await collect(followRunTree({ sessionId: treeIds.lead, agent: 'lead' }, logs));
    expect(logs.following).toEqual([treeIds.lead, treeIds.researcher, treeIds.coder, treeIds.planner, treeIds.checker]);
    const lanes = lanesOf(events);
    expect(lanes).toHaveLength(18);
    expect(lanes.filter((line) => line.endsWith('session.completed'))).toEqual(
      expect.arrayContaining(['0 lead session.completed', '1 researcher session.completed', '2 coder session.completed', '3 planner session.completed', '4 checker session.completed']),
    );
    const checker = events.find((each) => each.kind === 'event' && each.lane.agent === 'checker');
    expect(checker?.lane).toEqual({ number: 4, sessionId: treeIds.checker, agent: 'checker', depth: 2, parent: treeIds.planner });
  });

  it('stops waiting for a child that never started once its parent records it completed', async () => {
    const logs = memoryLogs(new Map([['lead', sessionLog('lead', [created('lead'), spawned('d1', 'never', 'coder'), childCompleted('d1', 'never', 'failed', spent(0, 0, 0), { reason: 'refused' }), completed('failed', spent(1, 1, 0), {})])]]));
    expect(lanesOf(await collect(followRunTree({ sessionId: 'lead', agent: 'lead' }, logs)))).toEqual(['0 lead session.created', '0 lead subagent.spawned', '0 lead subagent.completed', '0 lead session.completed']);
  });

  it('says which children it does not follow: one already followed, past the limits, or whose log names another parent', async () => {
    const logs = memoryLogs(new Map([
      ['a', sessionLog('a', [created('lead'), spawned('c1', 'b', 'worker'), spawned('c2', 'x', 'stranger'), spawned('c3', 'y', 'late'), completed('succeeded', spent(1, 0, 0), {})], 'a')],
      ['b', sessionLog('b', [created('worker', { sessionId: 'a', callId: 'c1' }), spawned('c4', 'a', 'lead'), spawned('c5', 'z', 'deep'), completed('succeeded', spent(1, 0, 0), {})], 'a')],
      ['x', sessionLog('x', [created('stranger', { sessionId: 'elsewhere', callId: 'c9' })], 'elsewhere')],
    ]));
    const events = await collect(followRunTree({ sessionId: 'a', agent: 'lead' }, logs, { limits: { maxDepth: 1, maxSessions: 3 } }));
    const unread = events.flatMap((each) => (each.kind === 'unread' ? [`${each.lane.sessionId}: ${each.child.sessionId} ${each.child.reason}`] : []));
    expect(unread.sort()).toEqual(['a: x its log names another parent', 'a: y more sessions than the limit', 'b: a already in the tree', 'b: z deeper than the limit']);
  });

  it('ends when its signal aborts', async () => {
    const stop = new AbortController();
    const logs = memoryLogs(new Map([['lead', sessionLog('lead', [created('lead')])]]));
    const seen: TreeEvent[] = [];
    for await (const event of followRunTree({ sessionId: 'lead', agent: 'lead' }, logs, { signal: stop.signal })) {
      seen.push(event);
      stop.abort();
    }
    expect(seen).toHaveLength(1);
  });
});
