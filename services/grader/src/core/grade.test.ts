import { GradeCommand } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { defineGrader } from './function-grader.ts';
import { gradeSubmission } from './grade.ts';
import { bothPass, citesFails, jobWith, portsWith, scriptedModel } from './spec.ts';

const mentions42 = { kind: 'regex' as const, name: 'mentions-42', pattern: '\\b42\\b' };
const noTodo = { kind: 'regex' as const, name: 'no-todo', pattern: 'TODO', mustNotMatch: true };
const model = { kind: 'model' as const, name: 'model' };

describe('grading a submission', () => {
  it('given the model grader alone, when both criteria pass, then the grade passes with the verdicts, the model and its cost', async () => {
    const grade = await gradeSubmission(jobWith(), [], portsWith(scriptedModel([bothPass])));
    expect(GradeCommand.parse(grade)).toEqual(grade);
    expect(grade).toMatchObject({ type: 'grade', sessionId: 's-1', attempt: 1, passed: true, score: 1, changes: [], model: 'scripted/grader', usage: { inputTokens: 100, outputTokens: 10 }, costUsd: expect.closeTo(0.12, 6) });
    expect(grade.verdicts).toHaveLength(2);
    expect(grade.graders).toEqual([expect.objectContaining({ name: 'model', kind: 'model', passed: true, score: 1 })]);
    expect(grade).not.toHaveProperty('disagreement');
  });

  it('given a required criterion that fails, then the grade fails with the model\'s changes', async () => {
    const grade = await gradeSubmission(jobWith({ passThreshold: 0.5 }), [], portsWith(scriptedModel([citesFails])));
    expect(grade).toMatchObject({ passed: false, score: 0.75, changes: ['Cite a source for 42.'] });
  });

  it('given a malformed verdict, then it asks again (saying why), counting each attempt\'s cost', async () => {
    const scripted = scriptedModel(['I think it passes.', bothPass]);
    const grade = await gradeSubmission(jobWith(), [], portsWith(scripted));
    expect(grade).toMatchObject({ passed: true, usage: { inputTokens: 200, outputTokens: 20 }, costUsd: expect.closeTo(0.24, 6) });
    expect(JSON.stringify(scripted.requests[1]?.messages)).toContain('Your previous answer could not be read (the reply is not JSON');
  });

  it('given a verdict still malformed after 3 attempts, then the grade is a problem, with the 3 attempts\' cost', async () => {
    const missing = JSON.stringify({ verdicts: [{ criterion: 'cites', passed: true, reason: 'ok' }], changes: [] });
    const grade = await gradeSubmission(jobWith(), [], portsWith(scriptedModel([missing, missing, missing, bothPass])));
    expect(grade).toMatchObject({ passed: false, score: 0, problem: 'the grader model\'s verdict stayed malformed after 3 attempts: no verdict for "short"', usage: { inputTokens: 300 }, costUsd: expect.closeTo(0.36, 6) });
  });

  it('given combine all, then every grader must pass; a failed regex adds its reason to the changes, and the disagreement is named', async () => {
    const job = jobWith({ graders: [mentions42, noTodo, model] }, { output: 'The answer is 42. TODO: cite.' });
    const grade = await gradeSubmission(job, [], portsWith(scriptedModel([bothPass])));
    expect(grade).toMatchObject({ passed: false, disagreement: 'the graders disagree: mentions-42, model passed; no-todo failed' });
    expect(grade.score).toBeCloseTo(2 / 3, 3);
    expect(grade.changes).toEqual([expect.stringMatching(/^no-todo: the output must not match "TODO"/)]);
  });

  it('given combine weighted, then the weighted mean of the graders decides, but a failed required criterion still fails it', async () => {
    const weighted = { combine: 'weighted' as const, passThreshold: 0.7, graders: [{ ...noTodo, weight: 1 }, { ...model, weight: 3 }] };
    const job = jobWith(weighted, { output: 'The answer is 42, TODO.' });
    expect(await gradeSubmission(job, [], portsWith(scriptedModel([bothPass])))).toMatchObject({ passed: true, score: 0.75 });
    const requiredFails = JSON.stringify({ verdicts: [{ criterion: 'cites', passed: false, reason: 'none' }, { criterion: 'short', passed: true, reason: 'ok' }], changes: [] });
    const failed = await gradeSubmission(jobWith(weighted, { output: 'The answer is 42.' }), [], portsWith(scriptedModel([requiredFails])));
    expect(failed).toMatchObject({ passed: false, changes: ['cites: none'] });
    expect(failed.score).toBeCloseTo(0.8125, 3);
  });

  it('given deterministic graders only, then no model is called and nothing is spent', async () => {
    const grade = await gradeSubmission(jobWith({ graders: [mentions42] }), [], portsWith(scriptedModel([])));
    expect(grade).toMatchObject({ passed: true, score: 1, verdicts: [], costUsd: 0 });
    expect(grade).not.toHaveProperty('model');
  });

  it('given a function grader, then it sees the output and the files; one not registered is a problem, before any model call', async () => {
    const files = [{ path: 'a.md', status: 'read' as const, content: 'A' }];
    const seen: unknown[] = [];
    const filesToo = defineGrader('files-too', (submission) => (seen.push(submission), { passed: submission.files.length === 1, reason: 'one file' }));
    const grade = await gradeSubmission(jobWith({ graders: [{ kind: 'function', name: 'files-too' }] }, { input: 'hidden' }), files, portsWith(scriptedModel([]), [filesToo]));
    expect(grade).toMatchObject({ passed: true });
    expect(seen).toEqual([{ sessionId: 's-1', attempt: 1, output: 'The answer is 42, per the Guide.', files }]);
    const scripted = scriptedModel([bothPass]);
    const unregistered = await gradeSubmission(jobWith({ graders: [model, { kind: 'function', name: 'nobody' }] }), [], portsWith(scripted));
    expect(unregistered).toMatchObject({ passed: false, problem: expect.stringContaining('no function grader is registered as "nobody"') });
    expect(scripted.requests).toHaveLength(0);
  });

  it('given two model graders, then both are asked, their costs add up, and the first one\'s verdicts are the grade\'s', async () => {
    const scripted = scriptedModel([bothPass, citesFails]);
    const grade = await gradeSubmission(jobWith({ graders: [model, { kind: 'model', name: 'second-opinion' }] }), [], portsWith(scripted));
    expect(grade).toMatchObject({ passed: false, usage: { inputTokens: 200 }, costUsd: expect.closeTo(0.24, 6), changes: ['Cite a source for 42.'], disagreement: 'the graders disagree: model passed; second-opinion failed' });
    expect(grade.verdicts.every((verdict) => verdict.passed)).toBe(true);
  });

  it('given a model that cannot be resolved, then the grade is a problem naming it', async () => {
    const grade = await gradeSubmission(jobWith(), [], { functions: new Map(), model: () => ({ problem: 'the grader model x/y cannot be used: unknown provider' }), functionTimeoutMs: 100 });
    expect(grade).toMatchObject({ passed: false, problem: 'the grader model x/y cannot be used: unknown provider' });
  });

  it('bounds the changes to 20 of 2,000 characters each, whatever the model and the graders say', async () => {
    const changes = Array.from({ length: 60 }, (_, i) => `${i} ${'c'.repeat(3_000)}`);
    const reply = JSON.stringify({ verdicts: [{ criterion: 'cites', passed: false, reason: 'no' }, { criterion: 'short', passed: false, reason: 'no' }], changes });
    const graders = [model, ...Array.from({ length: 9 }, (_, i) => ({ kind: 'regex' as const, name: `r${i}`, pattern: 'never-there' }))];
    const grade = await gradeSubmission(jobWith({ graders }), [], portsWith(scriptedModel([reply])));
    expect(grade.changes).toHaveLength(20);
    expect(Math.max(...grade.changes.map((change) => change.length))).toBe(2_000);
    expect(GradeCommand.safeParse(grade).success).toBe(true);
  });
});
