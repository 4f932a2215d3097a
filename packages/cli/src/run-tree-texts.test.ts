import { readRunTree, type TreeEvent } from '@signalbox/client';
import { describe, expect, it } from 'vitest';
import { runTreeLogs, treeIds } from '../../../test/fixtures/run-tree.ts';
import { laneLine, runTreeLines } from './run-tree-texts.ts';

const read = (logs = runTreeLogs()) => (sessionId: string) => Promise.resolve(logs.get(sessionId) ?? []);

describe('inspect --tree', () => {
  it('prints a line a session, children indented under their parent, and the whole tree’s spend', async () => {
    const tree = await readRunTree(treeIds.lead, read());
    expect(runTreeLines(tree, false)).toEqual([
      'lead tree-lead succeeded · 4 steps · 3 tool calls · 400→80 tokens · $1.0000 → "Done, but the fix is not in."',
      '  researcher tree-researcher succeeded · 2 steps · 1 tool calls · 200→40 tokens · $0.2500 → "Three sources agree."',
      '  coder tree-coder failed · 3 steps · 4 tool calls · 300→60 tokens · $0.5000: the tests still fail',
      '  planner tree-planner succeeded · 2 steps · 0 tool calls · 200→40 tokens · $0.2500 → "Plan checked."',
      '    checker tree-checker succeeded · 1 steps · 0 tool calls · 100→20 tokens · $0.1250 → "ok"',
      '',
      '5 sessions · 12 steps · 8 tool calls · 1200→240 tokens · $2.1250',
    ]);
    expect(runTreeLines(tree, true)[0]).toContain('\u001b[');
  });

  it('names the children it did not read under their parent, and why', async () => {
    const tree = await readRunTree(treeIds.lead, read(), { maxSessions: 3 });
    expect(runTreeLines(tree, false).slice(2, 4)).toEqual([
      '  coder tree-coder failed · 3 steps · 4 tool calls · 300→60 tokens · $0.5000: the tests still fail',
      '  planner tree-planner not read: more sessions than the limit',
    ]);
  });
});

describe('tail --tree', () => {
  const [created, , , , , , , ended] = runTreeLogs().get(treeIds.lead)!;
  const checkerEvent = runTreeLogs().get(treeIds.checker)![1]!;
  const lead = { number: 0, sessionId: treeIds.lead, agent: 'lead', depth: 0, parent: undefined };
  const checker = { number: 4, sessionId: treeIds.checker, agent: 'checker', depth: 2, parent: treeIds.planner };

  it('prefixes each event’s timeline line with its lane: number, agent and the end of its id, indented by depth', () => {
    const lines = ([{ kind: 'event', lane: lead, event: created! }, { kind: 'event', lane: checker, event: checkerEvent }, { kind: 'event', lane: lead, event: ended! }] satisfies TreeEvent[]).map((item) => laneLine(item, false));
    expect(lines).toEqual([
      `${'0 lead …e-lead'.padEnd(28)} #  1 10:00:00.000  session.created    agent=lead model=anthropic/claude-haiku-4-5 input="lead's task"`,
      `${'    4 checker …hecker'.padEnd(28)} #  2 10:00:00.010  session.completed  succeeded → "ok"`,
      `${'0 lead …e-lead'.padEnd(28)} #  8 10:00:00.070  session.completed  succeeded → "Done, but the fix is not in."`,
    ]);
  });

  it('says which child a lane did not follow', () => {
    const line = laneLine({ kind: 'unread', lane: lead, child: { sessionId: 'x', agent: 'stranger', reason: 'its log names another parent' } }, false);
    expect(line).toBe(`${'0 lead …e-lead'.padEnd(28)} stranger x not read: its log names another parent`);
  });
});
