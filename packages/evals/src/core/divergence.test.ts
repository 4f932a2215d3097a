import { describe, expect, it } from 'vitest';
import { script, stored } from '../../../supervision/src/spec.ts';
import { described, taskTrajectories } from './divergence.ts';
import { nudge, run } from './spec.ts';
import { trajectoriesText } from './text-report.ts';

const lookup = { tool: 'docs.lookup', input: { term: 'flaky' }, output: 'no entry' };
/** Two lookups, then a write and an answer. */
const recovered = () => stored(script().repeat(2, lookup).call({ tool: 'workspace.write', input: { path: 'a.md' }, output: 'wrote' }).final('found').events);
/** Two lookups, then a third, then giving up. */
const looped = () => stored(script().repeat(3, lookup).final('gave up').events);
/** Gives up at once: parts from the others at its first step. */
const quitter = () => stored(script().final('no').events);

describe('where successful and failed runs of a task part', () => {
  const logs = [
    { run: run({ sessionId: 'ok1', success: true }), events: recovered() },
    { run: run({ sessionId: 'ok2', success: true, interventions: [nudge(12)] }), events: recovered() },
    { run: run({ sessionId: 'bad1', success: false, interventions: [nudge(12)] }), events: looped() },
    { run: run({ sessionId: 'bad2', success: false }), events: quitter() },
    { run: run({ sessionId: 'other', task: 'other', success: true }), events: recovered() },
  ];

  it('pairs every success with every failure of the task and counts the partings, the commonest first', () => {
    const [task, other] = taskTrajectories(logs);
    expect(task).toMatchObject({ task: 't', successes: 2, failures: 2, pairs: 4 });
    expect(task?.divergences).toEqual([
      { step: 0, succeeded: 'model.responded calls docs.lookup', failed: 'model.responded says "no"', pairs: 2 },
      // The loop's third lookup where the recovered run wrote: the model's third reply, after two turns.
      { step: 2, succeeded: 'model.responded calls workspace.write', failed: 'model.responded calls docs.lookup', pairs: 2 },
    ]);
    expect(task?.detectors).toEqual([{ detector: 'repetition', onSuccesses: 1, onFailures: 1 }]);
    expect(other).toMatchObject({ successes: 1, failures: 0, pairs: 0, divergences: [] });
  });

  it('compares from the second event: every run of an eval has its own session.created', () => {
    const tagged = recovered().map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, metadata: { eval: 'x', 'eval.repeat': '1' } } } : event));
    const [task] = taskTrajectories([{ run: run({ success: true }), events: recovered() }, { run: run({ success: false }), events: tagged }]);
    expect(task?.divergences).toEqual([{ step: 4, succeeded: 'the same events', failed: 'the same events', pairs: 1 }]);
  });

  it('stops at the cap of pairs, and prints a task’s partings and detectors', () => {
    const [task] = taskTrajectories(logs, 3);
    expect(task?.pairs).toBe(3);
    expect(trajectoriesText(taskTrajectories(logs)[0]!).split('\n')).toEqual([
      't: 2 succeeded, 2 failed, 4 pairs',
      '  2× at step 0: succeeded → model.responded calls docs.lookup; failed → model.responded says "no"',
      '  2× at step 2: succeeded → model.responded calls workspace.write; failed → model.responded calls docs.lookup',
      '  repetition fired in 1 of the successes, 1 of the failures',
    ]);
  });

  it('describes an event by what tells it apart, and a log that ended', () => {
    expect(described({ type: 'supervisor.intervened', data: { detector: 'waste', action: 'abort', reason: 'r', evidence: [1] } })).toBe('supervisor.intervened waste/abort');
    expect(described({ type: 'session.completed', data: { status: 'aborted', totals: { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } })).toBe('session.completed aborted');
    expect(described(undefined)).toBe('nothing more (its log ends)');
    expect(described({ type: 'tool.requested', data: { callId: 'c', tool: 'x.y', input: { text: 'z'.repeat(500) }, idempotencyKey: 'k' } }).length).toBeLessThan(90);
  });
});

describe('runs of two configurations', () => {
  it('do not part on their agents’ names', () => {
    const named = (name: string) =>
      recovered().map((event) =>
        event.type === 'session.created' ? { ...event, data: { ...event.data, agent: { ...event.data.agent, name } } } : event.type === 'model.responded' ? { ...event, data: { ...event.data, content: [{ type: 'text' as const, text: `I am ${name}` }, ...event.data.content] } } : event,
      );
    const [task] = taskTrajectories([{ run: run({ success: true }), events: named('eval-x-on') }, { run: run({ success: false }), events: named('eval-x-off') }]);
    expect(task?.divergences).toEqual([{ step: 4, succeeded: 'the same events', failed: 'the same events', pairs: 1 }]);
  });
});

describe('runs that wrote the same files', () => {
  it('do not part on the installation’s workspace revisions', () => {
    const wrote = (revision: number) => stored(script().call({ tool: 'workspace.write', input: { path: 'a.md' }, output: `wrote 3 bytes to a.md, now at revision ${revision}`, revision }).final('done').events);
    const [task] = taskTrajectories([{ run: run({ success: true }), events: wrote(28) }, { run: run({ success: false }), events: wrote(25) }]);
    expect(task?.divergences).toEqual([{ step: 2, succeeded: 'the same events', failed: 'the same events', pairs: 1 }]);
  });
});

describe('replies that differ only in what they cost', () => {
  it('do not part: tokens and cost count the request, whose differences are compared where they arise', () => {
    const costing = (inputTokens: number) => recovered().map((event) => (event.type === 'model.responded' ? { ...event, data: { ...event.data, usage: { ...event.data.usage, inputTokens }, costUsd: inputTokens / 1_000 } } : event));
    const [task] = taskTrajectories([{ run: run({ success: true }), events: costing(100) }, { run: run({ success: false }), events: costing(101) }]);
    expect(task?.divergences).toEqual([{ step: 4, succeeded: 'the same events', failed: 'the same events', pairs: 1 }]);
  });
});
