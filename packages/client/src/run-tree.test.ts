import type { SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { childCompleted, created, runTreeLogs, sessionLog, spawned, spent, treeIds, treeSpend } from '../../../test/fixtures/run-tree.ts';
import { readRunTree } from './run-tree.ts';

const reader = (logs: ReadonlyMap<string, SessionEvent[]>) => (sessionId: string) => Promise.resolve(logs.get(sessionId) ?? []);

describe('reading a run as a tree', () => {
  it('finds each child through its parent’s subagent.spawned, with its status, own spend and outcome', async () => {
    const tree = await readRunTree(treeIds.lead, reader(runTreeLogs()));
    const { root } = tree;
    expect(root).toMatchObject({ agent: 'lead', depth: 0, status: 'succeeded', totals: treeSpend.lead, unread: [] });
    expect(root.children.map((child) => [child.agent, child.status, child.output ?? child.reason])).toEqual([
      ['researcher', 'succeeded', 'Three sources agree.'],
      ['coder', 'failed', 'the tests still fail'],
      ['planner', 'succeeded', 'Plan checked.'],
    ]);
    const planner = root.children[2]!;
    expect(planner).toMatchObject({ depth: 1, task: "planner's task", totals: treeSpend.planner });
    expect(planner.children).toMatchObject([{ sessionId: treeIds.checker, depth: 2, totals: treeSpend.checker, children: [] }]);
    // Each node's own spend adds up to what the root recorded, its children's included.
    expect(tree).toMatchObject({ sessions: 5, totals: treeSpend.leadRecorded });
  });

  it('shows a spawned child with no log as its parent recorded it, and a running one with its spend so far', async () => {
    const logs = new Map([
      ['lead', sessionLog('lead', [created('lead'), spawned('d1', 'gone', 'coder'), spawned('d2', 'busy', 'coder'), childCompleted('d1', 'gone', 'failed', spent(1, 0, 0.5), { reason: 'no budget' })])],
      ['busy', sessionLog('busy', [created('coder', { sessionId: 'lead', callId: 'd2' })])],
    ]);
    const tree = await readRunTree('lead', reader(logs));
    expect(tree.root.status).toBe('running');
    expect(tree.root.children).toMatchObject([
      { sessionId: 'gone', agent: 'coder', status: 'no log', reason: 'no budget', totals: spent(1, 0, 0.5) },
      { sessionId: 'busy', status: 'running', totals: spent(0, 0, 0) },
    ]);
    expect(tree.totals.costUsd).toBe(0.5);
  });
});

describe('the tree’s bounds', () => {
  it('reads no session twice: a log naming an ancestor or itself as its child is cut there', async () => {
    const logs = new Map([
      ['a', sessionLog('a', [created('lead'), spawned('c1', 'b', 'worker')], 'a')],
      ['b', sessionLog('b', [created('worker', { sessionId: 'a', callId: 'c1' }), spawned('c2', 'a', 'lead'), spawned('c3', 'b', 'worker')], 'a')],
    ]);
    const tree = await readRunTree('a', reader(logs));
    expect(tree.sessions).toBe(2);
    expect(tree.root.children[0]!.unread).toEqual([
      { sessionId: 'a', agent: 'lead', reason: 'already in the tree' },
      { sessionId: 'b', agent: 'worker', reason: 'already in the tree' },
    ]);
  });

  it('names, and does not read, a child whose log names another parent', async () => {
    const logs = new Map([
      ['a', sessionLog('a', [created('lead'), spawned('c1', 'x', 'worker')], 'a')],
      ['x', sessionLog('x', [created('worker', { sessionId: 'elsewhere', callId: 'c9' })], 'elsewhere')],
    ]);
    const tree = await readRunTree('a', reader(logs));
    expect(tree.root).toMatchObject({ children: [], unread: [{ sessionId: 'x', reason: 'its log names another parent' }] });
  });

  it('stops below the depth limit and past the session limit, naming what it left unread', async () => {
    const chain = new Map(Array.from({ length: 12 }, (_, i) => {
      const events = [created(`l${i}`, i === 0 ? undefined : { sessionId: `s${i - 1}`, callId: 'c' }), spawned('c', `s${i + 1}`, `l${i + 1}`)];
      return [`s${i}`, sessionLog(`s${i}`, events, 's0')] as const;
    }));
    const deep = await readRunTree('s0', reader(chain));
    let node = deep.root;
    while (node.children[0]) node = node.children[0];
    expect(node).toMatchObject({ sessionId: 's8', depth: 8, unread: [{ sessionId: 's9', reason: 'deeper than the limit' }] });
    expect(deep.sessions).toBe(9);

    const cut = await readRunTree(treeIds.lead, reader(runTreeLogs()), { maxSessions: 3 });
    expect(cut.root.children.map((child) => child.agent)).toEqual(['researcher', 'coder']);
    expect(cut.root.unread).toEqual([{ sessionId: treeIds.planner, agent: 'planner', reason: 'more sessions than the limit' }]);
    // What the lead recorded of the planner (and so of its checker) still counts.
    expect(cut.totals).toEqual(treeSpend.leadRecorded);
  });
});

