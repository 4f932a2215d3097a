import { describe, expect, it } from 'vitest';
import { GraderSpec } from '@signalbox/events';
import { gradeRegex } from './regex-grader.ts';

import type { GraderResult } from '@signalbox/events';

const regex = (fields: Record<string, unknown>) => GraderSpec.parse({ kind: 'regex', name: 'r', ...fields }) as Extract<GraderSpec, { kind: 'regex' }>;

/** The grader's result, where a problem is not expected. */
function ran(spec: Extract<GraderSpec, { kind: 'regex' }>, output: string): GraderResult {
  const result = gradeRegex(spec, output);
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

describe('the regex grader', () => {
  it('passes an output that matches, and says what matched and where', () => {
    expect(ran(regex({ pattern: 'answer is (\\d+)' }), 'The answer is 42.')).toEqual({ name: 'r', kind: 'regex', passed: true, score: 1, reason: 'the output matches "answer is (\\\\d+)": "answer is 42" at character 4' });
  });

  it('fails an output that does not match, and honours the flags', () => {
    expect(ran(regex({ pattern: 'ANSWER' }), 'the answer')).toMatchObject({ passed: false, score: 0, reason: 'the output does not match "ANSWER"' });
    expect(ran(regex({ pattern: 'ANSWER', flags: 'i' }), 'the answer')).toMatchObject({ passed: true });
    expect(ran(regex({ pattern: '^b$', flags: 'm' }), 'a\nb\nc')).toMatchObject({ passed: true });
    expect(ran(regex({ pattern: 'a.b', flags: 's' }), 'a\nb')).toMatchObject({ passed: true });
    expect(ran(regex({ pattern: 'a.b' }), 'a\nb')).toMatchObject({ passed: false });
  });

  it('with mustNotMatch, fails on a match and passes without one', () => {
    expect(ran(regex({ pattern: 'TODO', mustNotMatch: true }), 'done, no TODO left')).toMatchObject({ passed: false, reason: 'the output must not match "TODO", but it does: "TODO" at character 9' });
    expect(ran(regex({ pattern: 'TODO', mustNotMatch: true }), 'all done')).toMatchObject({ passed: true, score: 1 });
  });

  it('fails a pattern RE2 cannot compile (a backreference, a lookahead), saying so', () => {
    expect(ran(regex({ pattern: '(a)\\1' }), 'aa')).toMatchObject({ passed: false, reason: expect.stringContaining('does not compile as RE2') });
    expect(ran(regex({ pattern: 'a(?=b)' }), 'ab')).toMatchObject({ passed: false, reason: expect.stringContaining('does not compile as RE2') });
  });

  it('runs a catastrophic pattern over a long output in linear time', () => {
    const started = performance.now();
    const result = ran(regex({ pattern: '(a+)+$' }), `${'a'.repeat(200_000)}!`);
    const nested = ran(regex({ pattern: '^(a|a)*(b|aa?)*c$' }), 'a'.repeat(100_000));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ passed: false, reason: 'the output does not match "(a+)+$"' });
    expect(nested.passed).toBe(false);
  });

  it('refuses, as a problem, a pattern whose program is too large to run over a long output; runs it over a short one', () => {
    const started = performance.now();
    expect(gradeRegex(regex({ pattern: '\\w{1000}\\d' }), 'a'.repeat(1_000_000))).toEqual({ problem: 'the regex grader "r" is too large to run over an output of 1000000 characters (an RE2 program of 1003 instructions): use fewer or smaller bounded repeats' });
    expect(performance.now() - started).toBeLessThan(500);
    expect(ran(regex({ pattern: '\\w{1000}\\d' }), `${'a'.repeat(5_000)}1`)).toMatchObject({ passed: true });
  });

  it('never echoes a long match: the quoted text and the reason are clipped', () => {
    const result = ran(regex({ pattern: 'x+' }), 'x'.repeat(1_000_000));
    expect(result.passed).toBe(true);
    expect(result.reason.length).toBeLessThan(200);
  });
});
