import type { SessionEvent, ToolJob } from '@signalbox/events';
import { decide, fold, initialState, type SessionState } from '@signalbox/session';
import { describe, expect, it } from 'vitest';
import type { ToolPort } from './effect-ports.ts';
import { readerAgent, readerTools } from './runner-fixture.ts';
import { markingUnforked, UnforkedRuns } from './unforked-runs.ts';

const job = (sessionId: string, correlationId: string, callId: string): ToolJob => ({ sessionId, correlationId, callId, tool: 'kb.lookup', input: {}, idempotencyKey: `${sessionId}/${callId}` });

/** A session's state after its first decision, as the actor holds it: `sessionId` under `correlationId`, forked or not. */
function startedState(sessionId: string, correlationId: string, forkedFrom?: { sessionId: string; n: number }): SessionState {
  const start = { type: 'StartSession' as const, sessionId, correlationId, agent: readerAgent, tools: readerTools, input: 'read', budget: readerAgent.budget };
  const [created] = decide(start, initialState()).events;
  const data = forkedFrom ? { ...created!.data, forkedFrom } : created!.data;
  return fold([{ ...created!, data, id: 'e1', v: 2, sessionId, n: 1, at: 1, causationId: null, correlationId, by: { service: 'test', instance: 't' } } as SessionEvent]);
}

describe('UnforkedRuns', () => {
  it('knows a root session that is not a fork, and nothing of a fork, a child or a new session', () => {
    const runs = new UnforkedRuns();
    runs.know(startedState('root', 'root'));
    runs.know(startedState('fork', 'fork', { sessionId: 'root', n: 1 }));
    runs.know(startedState('child', 'parent'));
    runs.know(initialState());
    expect(['root', 'fork', 'child', 'parent'].filter((root) => runs.has(root))).toEqual(['root']);
  });

  it('marks each job of a run it knows as no fork\'s, and leaves every other job as it was', async () => {
    const sent: ToolJob[] = [];
    const port: ToolPort = { dispatch: async (_, jobs) => (sent.push(...jobs), []) };
    const runs = new UnforkedRuns();
    runs.know(startedState('root', 'root'));
    runs.know(startedState('fork', 'fork', { sessionId: 'root', n: 1 }));
    const marking = markingUnforked(port, runs);
    await marking.dispatch('root', [job('root', 'root', 'c1'), job('root', 'root', 'c2')]);
    // A child of the root: its jobs name the root's run, which is known.
    await marking.dispatch('child', [job('child', 'root', 'c3')]);
    await marking.dispatch('fork', [job('fork', 'fork', 'c4')]);
    await marking.dispatch('unknown', [job('unknown', 'unknown', 'c5')]);
    expect(sent.map((marked) => [marked.callId, marked.unforkedRun])).toEqual([['c1', true], ['c2', true], ['c3', true], ['c4', undefined], ['c5', undefined]]);
  });

  it('forgets the oldest run once it holds ten thousand', () => {
    const runs = new UnforkedRuns();
    for (let index = 0; index <= 10_000; index += 1) runs.know(startedState(`r${index}`, `r${index}`));
    expect(runs.has('r0')).toBe(false);
    expect(runs.has('r1')).toBe(true);
    expect(runs.has('r10000')).toBe(true);
  });
});

