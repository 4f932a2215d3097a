import { describe, expect, it } from 'vitest';
import type { LogEvent } from './events.ts';
import { mergeEvents } from './merge-events.ts';
import { lanesOf, type RunTree } from './run-tree.ts';
import { usedShare, viewOf } from './session-view.ts';

let at = 1_000;
const event = (n: number, type: string, data: Record<string, unknown> = {}): LogEvent => ({ id: `e${n}`, type, n, at: (at += 10), sessionId: 's1', data });

const created = event(1, 'session.created', { agent: { name: 'careful' }, input: 'go', budget: { maxSteps: 4, maxCostUsd: 0.5 } });
const asked = event(4, 'approval.requested', { approvalId: 's1:abc', tool: 'workspace.write', input: '{"path":"a.md"}', deadline: 99 });

describe('a session page folded from its log', () => {
  it('counts steps, tool calls and cost against the budget as the events arrive', () => {
    const view = viewOf([created, event(2, 'model.responded', { costUsd: 0.1 }), event(3, 'tool.requested', { tool: 't' }), event(4, 'model.responded', { costUsd: 0.2 })]);
    expect(view).toMatchObject({ agent: 'careful', status: 'running', steps: 2, toolCalls: 1, budget: { maxSteps: 4, maxCostUsd: 0.5 } });
    expect(view.costUsd).toBeCloseTo(0.3);
    expect(usedShare(view.steps, view.budget.maxSteps)).toBe(0.5);
    expect(usedShare(3, undefined)).toBeUndefined();
  });

  it('lists an approval while it waits and drops it once answered', () => {
    expect(viewOf([created, asked]).waiting).toEqual([{ approvalId: 's1:abc', tool: 'workspace.write', input: '{"path":"a.md"}', deadline: 99, n: 4 }]);
    expect(viewOf([created, asked, event(5, 'approval.resolved', { approvalId: 's1:abc', approved: true })]).waiting).toEqual([]);
  });

  it('takes the totals of session.completed, and a subagent lane from spawned to completed', () => {
    const view = viewOf([
      created,
      event(2, 'subagent.spawned', { sessionId: 'child', agent: 'helper' }),
      event(3, 'subagent.completed', { sessionId: 'child', status: 'succeeded', totals: { costUsd: 0.05 } }),
      event(4, 'session.completed', { status: 'succeeded', output: 'done', totals: { costUsd: 0.07, steps: 3, toolCalls: 1 } }),
    ]);
    expect(view).toMatchObject({ status: 'succeeded', output: 'done', costUsd: 0.07, steps: 3, children: [{ sessionId: 'child', agent: 'helper', status: 'succeeded' }] });
  });

  it('follows a conversation: idle after a turn, running on a message, idle after an interrupt, and a pause returns to where it was', () => {
    const turn = event(2, 'turn.completed', { output: 'Hello!' });
    const message = event(3, 'message.received', { by: 'ann', text: 'wait for the shop' });
    const statuses = (events: LogEvent[]) => events.map((_, i) => viewOf(events.slice(0, i + 1)).status);
    expect(statuses([created, turn, message, event(4, 'session.interrupted', { by: 'ann' })])).toEqual(['running', 'idle', 'running', 'idle']);
    expect(statuses([created, turn, event(3, 'session.paused', {}), event(4, 'session.resumed', {})])).toEqual(['running', 'idle', 'paused', 'idle']);
    // What comes while paused is what a resume goes back to.
    expect(statuses([created, turn, event(3, 'session.paused', {}), message, event(5, 'session.paused', {}), event(6, 'session.resumed', {})])).toEqual(['running', 'idle', 'paused', 'paused', 'paused', 'running']);
  });

  it('reads hostile or malformed data without throwing', () => {
    const view = viewOf([event(1, 'session.created', { agent: '<img src=x>', budget: null }), event(2, 'approval.requested', {}), event(3, 'memory.loaded', { entries: [] })]);
    expect(view.agent).toBe('');
    expect(view.waiting).toHaveLength(1);
  });
});

describe('merging a live stream into the timeline', () => {
  it('keeps log order, drops what it holds already, and names where events are missing', () => {
    const first = mergeEvents([], [created, event(2, 'model.requested')]);
    expect(first).toMatchObject({ missingAfter: undefined });
    const again = mergeEvents(first.events, [event(2, 'model.requested'), event(5, 'tool.completed')]);
    expect(again.events.map((held) => held.n)).toEqual([1, 2, 5]);
    expect(again.missingAfter).toBe(2);
    expect(mergeEvents(again.events, [event(4, 'x'), event(3, 'y')]).missingAfter).toBeUndefined();
  });

  it('appends a stream that goes on where the timeline is, and still drops repeats and finds gaps after it', () => {
    const held = mergeEvents([], [created, event(2, 'model.requested')]).events;
    const arriving = [event(3, 'a'), event(4, 'b')];
    const appended = mergeEvents(held, arriving);
    expect(appended).toEqual({ events: [...held, ...arriving], missingAfter: undefined });
    expect(mergeEvents(appended.events, [event(4, 'b'), event(5, 'c')]).events.map((kept) => kept.n)).toEqual([1, 2, 3, 4, 5]);
    expect(mergeEvents(appended.events, [event(5, 'c'), event(7, 'e')])).toMatchObject({ missingAfter: 5 });
    expect(mergeEvents([], [event(2, 'late')])).toMatchObject({ missingAfter: 0 });
  });

  it('ignores events without a whole positive number', () => {
    expect(mergeEvents([], [{ ...created, n: 0 }, { ...created, n: 1.5 }]).events).toEqual([]);
  });
});

describe('the lanes of a run tree', () => {
  it('gives every session below the root a lane, parents first, with its depth and who spawned it', () => {
    const node = (sessionId: string, agent: string, children: unknown[] = []) => ({ sessionId, agent, depth: 0, status: 'running', children });
    const tree = { sessions: 4, root: node('root', 'lead', [node('a', 'researcher', [node('a1', 'reader')]), node('b', 'writer')]) } as RunTree;
    expect(lanesOf(tree)).toEqual([
      { sessionId: 'a', agent: 'researcher', depth: 1, parentAgent: 'lead' },
      { sessionId: 'a1', agent: 'reader', depth: 2, parentAgent: 'researcher' },
      { sessionId: 'b', agent: 'writer', depth: 1, parentAgent: 'lead' },
    ]);
  });
});
