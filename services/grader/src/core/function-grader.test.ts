import { describe, expect, it } from 'vitest';
import { defineGrader, gradeWithFunction, type Submission } from './function-grader.ts';

const submission: Submission = { sessionId: 's-1', attempt: 1, output: 'hello world', files: [] };

describe('function graders', () => {
  it('runs a registered function on the submission, its score 1 or 0 by passed when it gives none', async () => {
    const words = defineGrader('two-words', ({ output }) => ({ passed: output.split(' ').length === 2, reason: 'counted the words' }));
    await expect(gradeWithFunction(words, submission, 1_000)).resolves.toEqual({ name: 'two-words', kind: 'function', passed: true, score: 1, reason: 'counted the words' });
    const partial = defineGrader('partial', async () => ({ passed: false, score: 0.4, reason: 'close' }));
    await expect(gradeWithFunction(partial, submission, 1_000)).resolves.toMatchObject({ passed: false, score: 0.4 });
  });

  it('fails, with the error message, a function that throws, hangs, or returns no verdict', async () => {
    const throws = defineGrader('throws', () => {
      throw new Error('the test suite did not build');
    });
    await expect(gradeWithFunction(throws, submission, 1_000)).resolves.toMatchObject({ passed: false, score: 0, reason: 'the function grader threw: the test suite did not build' });
    const hangs = defineGrader('hangs', () => new Promise(() => undefined));
    await expect(gradeWithFunction(hangs, submission, 50)).resolves.toMatchObject({ passed: false, reason: 'the function grader did not answer within 50 ms' });
    const odd = defineGrader('odd', () => ({ passed: 'yes' }) as never);
    await expect(gradeWithFunction(odd, submission, 1_000)).resolves.toMatchObject({ passed: false, reason: expect.stringContaining('returned no verdict') });
    const huge = defineGrader('huge', () => ({ passed: false, reason: 'r'.repeat(1_000_000) }));
    await expect(gradeWithFunction(huge, submission, 1_000)).resolves.toMatchObject({ reason: expect.stringMatching(/^r{1999}…$/) });
  });

  it('refuses a name an outcome could not give', () => {
    expect(() => defineGrader('Has Spaces', () => ({ passed: true, reason: '' }))).toThrow(/a grader name is/);
  });
});
