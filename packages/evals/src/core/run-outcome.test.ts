import { describe, expect, it } from 'vitest';
import { script, stored } from '../../../supervision/src/spec.ts';
import { runResult } from './run-outcome.ts';

const key = { task: 't', configuration: 'c', repeat: 0 };
/** A log whose events are two seconds apart. */
const twoSeconds = (events: Parameters<typeof stored>[0]) => stored(events, (index) => 1_700_000_000_000 + index * 2_000);

describe('what a run came to', () => {
  it('a run that succeeds and passes its checks is a success, with its cost, steps and duration', () => {
    const log = twoSeconds(script().call({ tool: 'workspace.read', input: { path: 'a' }, output: 'x' }, { costUsd: 0.25 }).final('Noted: milk').events);
    const result = runResult(key, 's1', log, { checks: [{ outputIncludes: 'milk' }, { outputMatches: '^Noted' }] });
    expect(result).toMatchObject({ status: 'succeeded', success: true, failures: [], costUsd: 0, steps: 2, toolCalls: 1, interventions: [], approvals: 0 });
    expect(result.durationMs).toBe((log.length - 1) * 2_000);
  });

  it('says why a run is no success: a check, a failed grade, a pause, a log the eval stopped waiting for', () => {
    const done = stored(script().final('Nothing to note').events);
    expect(runResult(key, 's1', done, { checks: [{ outputIncludes: 'milk' }, { outputMatches: '(unclosed' }] }).failures).toEqual([
      'its answer does not include "milk"',
      expect.stringMatching(/^the check's pattern "\(unclosed" is not RE2/),
    ]);
    const graded = stored([...script().reply('x').events, { type: 'outcome.graded', data: { attempt: 1, passed: false, score: 0.4, verdicts: [], graders: [], feedback: [], changes: [] } } as never]);
    expect(runResult(key, 's1', graded, { checks: [] })).toMatchObject({ grade: 0.4, status: 'timed out', failures: ['ended timed out', 'failed its grade (0.40)'] });
    const spent = script().call({ tool: 'workspace.read', input: { path: 'a' }, output: 'x' }, { costUsd: 0.25 }).events;
    const paused = stored([...spent, { type: 'session.paused', data: { reason: 'budget spent', by: 'budget' } }]);
    // No session.completed, so no recorded totals: they are folded from the log.
    expect(runResult(key, 's1', paused, { checks: [] })).toMatchObject({ status: 'paused', success: false, failures: ['ended paused'], costUsd: 0.25, steps: 1 });
  });

  it('finds interventions and how long after their first evidence they came', () => {
    const builder = script().repeat(3, { tool: 'workspace.read', input: { path: 'a' }, output: 'x' });
    const firstCall = builder.events.findIndex((event) => event.type === 'tool.requested') + 1;
    builder.then({ type: 'supervisor.intervened', data: { detector: 'repetition', action: 'nudge', reason: 'loop', evidence: [firstCall, firstCall + 4] } });
    builder.then({ type: 'supervisor.gated', data: { callId: 't9', verdict: 'block', detector: 'error_spiral', evidence: [firstCall] } });
    builder.then({ type: 'supervisor.gated', data: { callId: 't9', verdict: 'proceed' } });
    const log = twoSeconds(builder.final().events);
    const [nudge, block, ...rest] = runResult(key, 's1', log, { checks: [] }).interventions;
    expect(rest).toEqual([]);
    // Two model replies came after the first evidence; 9 events of 2 s each lie between them.
    expect(nudge).toMatchObject({ detector: 'repetition', action: 'nudge', n: 14, timing: { steps: 2, seconds: (14 - firstCall) * 2 } });
    expect(block).toMatchObject({ detector: 'error_spiral', action: 'gate_block', n: 15 });
  });

  it('judges a rewound run where its fork ended, and counts what the run and the fork spent past its copied prefix', () => {
    const read = { tool: 'workspace.read', input: { path: 'a' }, output: 'x' };
    const original = stored(script().call(read, { costUsd: 0.25 }).call(read, { costUsd: 0.25 }).events);
    const aborted = stored([...original, { type: 'session.completed', data: { status: 'aborted', rewoundTo: 'f1', totals: { steps: 2, toolCalls: 2, inputTokens: 0, outputTokens: 0, costUsd: 0.5 } } } as never]);
    const forkLog = stored(script().call(read, { costUsd: 0.25 }).call({ ...read, input: { path: 'b' } }, { costUsd: 1 }).final('Noted: milk').events);
    const copied = forkLog.findIndex((event) => event.type === 'tool.completed') + 1;
    const created = forkLog[0]!;
    const end = forkLog.at(-1)!;
    // As the actor records it, the fork's totals include its copied prefix (the script's own are zero).
    const totals = { steps: 3, toolCalls: 2, inputTokens: 0, outputTokens: 0, costUsd: 1.25 };
    const fork = [{ ...created, data: { ...created.data, forkedFrom: { sessionId: 's1', n: copied } } }, ...forkLog.slice(1, -1), { ...end, data: { ...end.data, totals } }] as typeof forkLog;
    const result = runResult(key, 's1', aborted, { checks: [{ outputIncludes: 'milk' }] }, [fork]);
    expect(result).toMatchObject({ sessionId: 's1', status: 'succeeded', success: true, failures: [] });
    // 0.5 spent before the rewind, and the fork's 1.25 less the 0.25 its copied first step had cost.
    expect(result.costUsd).toBeCloseTo(1.5);
    expect(runResult(key, 's1', aborted, { checks: [] })).toMatchObject({ status: 'aborted', success: false, costUsd: 0.5 });
  });

  it('reads a hostile answer in linear time', () => {
    const hostile = `${'a'.repeat(100_000)}!`;
    const log = stored(script().final(hostile).events);
    const started = performance.now();
    expect(runResult(key, 's1', log, { checks: [{ outputMatches: '(a+)+$' }] }).failures).toEqual(['its answer does not match "(a+)+$"']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
