import { describe, expect, it } from 'vitest';
import { GraderSpec } from '@signalbox/events';
import { gradeRegex } from './regex-grader.ts';

const regex = (fields: Record<string, unknown>) => GraderSpec.parse({ kind: 'regex', name: 'r', ...fields }) as Extract<GraderSpec, { kind: 'regex' }>;

describe('the regex grader', () => {
  it('passes an output that matches, and says what matched and where', () => {
    expect(gradeRegex(regex({ pattern: 'answer is (\\d+)' }), 'The answer is 42.')).toEqual({ name: 'r', kind: 'regex', passed: true, score: 1, reason: 'the output matches "answer is (\\\\d+)": "answer is 42" at character 4' });
  });

  it('fails an output that does not match, and honours the flags', () => {
    expect(gradeRegex(regex({ pattern: 'ANSWER' }), 'the answer')).toMatchObject({ passed: false, score: 0, reason: 'the output does not match "ANSWER"' });
    expect(gradeRegex(regex({ pattern: 'ANSWER', flags: 'i' }), 'the answer')).toMatchObject({ passed: true });
    expect(gradeRegex(regex({ pattern: '^b$', flags: 'm' }), 'a\nb\nc')).toMatchObject({ passed: true });
    expect(gradeRegex(regex({ pattern: 'a.b', flags: 's' }), 'a\nb')).toMatchObject({ passed: true });
    expect(gradeRegex(regex({ pattern: 'a.b' }), 'a\nb')).toMatchObject({ passed: false });
  });

  it('with mustNotMatch, fails on a match and passes without one', () => {
    expect(gradeRegex(regex({ pattern: 'TODO', mustNotMatch: true }), 'done, no TODO left')).toMatchObject({ passed: false, reason: 'the output must not match "TODO", but it does: "TODO" at character 9' });
    expect(gradeRegex(regex({ pattern: 'TODO', mustNotMatch: true }), 'all done')).toMatchObject({ passed: true, score: 1 });
  });

  it('fails a pattern RE2 cannot compile (a backreference, a lookahead), saying so', () => {
    expect(gradeRegex(regex({ pattern: '(a)\\1' }), 'aa')).toMatchObject({ passed: false, reason: expect.stringContaining('does not compile as RE2') });
    expect(gradeRegex(regex({ pattern: 'a(?=b)' }), 'ab')).toMatchObject({ passed: false, reason: expect.stringContaining('does not compile as RE2') });
  });

  it('runs a catastrophic pattern over a long output in linear time', () => {
    const started = performance.now();
    const result = gradeRegex(regex({ pattern: '(a+)+$' }), `${'a'.repeat(200_000)}!`);
    const nested = gradeRegex(regex({ pattern: '^(a|a)*(b|aa?)*c$' }), 'a'.repeat(100_000));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ passed: false, reason: 'the output does not match "(a+)+$"' });
    expect(nested.passed).toBe(false);
  });

  it('never echoes a long match: the quoted text and the reason are clipped', () => {
    const result = gradeRegex(regex({ pattern: 'x+' }), 'x'.repeat(1_000_000));
    expect(result.passed).toBe(true);
    expect(result.reason.length).toBeLessThan(200);
  });
});
