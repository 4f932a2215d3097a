import { describe, expect, it } from 'vitest';
import { AgentDefinition } from './agent.ts';
import { GradeCommand, GradeJob, OutcomeSettings, readRubric } from './outcome.ts';
import { Task } from './task.ts';

describe('readRubric', () => {
  it('reads a sentence as one required criterion, and criteria with their ids filled in by position', () => {
    expect(readRubric('Cites a source.')).toEqual({ rubric: { criteria: [{ id: 'c1', text: 'Cites a source.', weight: 1, required: true }] } });
    const read = readRubric({ criteria: [{ text: 'Short.' }, { id: 'tone', text: 'Polite.', weight: 2, required: true }] });
    expect(read).toEqual({ rubric: { criteria: [{ id: 'c1', text: 'Short.', weight: 1, required: false }, { id: 'tone', text: 'Polite.', weight: 2, required: true }] } });
  });

  it('says what is wrong with a rubric that is not one: none, free-form JSON, duplicate ids, too many criteria', () => {
    expect(readRubric(undefined)).toMatchObject({ problem: expect.stringContaining('an outcome needs a rubric') });
    expect(readRubric({ anything: ['goes'] })).toMatchObject({ problem: expect.stringContaining('an outcome needs a rubric') });
    expect(readRubric({ criteria: [{ id: 'a', text: 'x' }, { id: 'a', text: 'y' }] })).toMatchObject({ problem: expect.stringContaining('unique') });
    expect(readRubric({ criteria: Array.from({ length: 51 }, () => ({ text: 'x' })) })).toHaveProperty('problem');
    expect(readRubric({ criteria: [{ text: 'x', weight: -1 }] })).toHaveProperty('problem');
  });
});

describe('OutcomeSettings', () => {
  it('defaults to the model grader, all must pass, 3 attempts, 0.8 to pass, the input unseen', () => {
    expect(OutcomeSettings.parse({})).toEqual({ passThreshold: 0.8, maxAttempts: 3, graders: [{ kind: 'model', name: 'model', weight: 1 }], combine: 'all', seesInput: false, files: [] });
  });

  it('refuses duplicate grader names, an unknown kind, a file path that climbs out, too many attempts', () => {
    expect(OutcomeSettings.safeParse({ graders: [{ kind: 'regex', name: 'a', pattern: 'x' }, { kind: 'function', name: 'a' }] }).success).toBe(false);
    expect(OutcomeSettings.safeParse({ graders: [{ kind: 'shell', name: 'a' }] }).success).toBe(false);
    expect(OutcomeSettings.safeParse({ files: ['../etc/passwd'] }).success).toBe(false);
    expect(OutcomeSettings.safeParse({ files: ['/etc/passwd'] }).success).toBe(false);
    expect(OutcomeSettings.safeParse({ maxAttempts: 21 }).success).toBe(false);
    expect(OutcomeSettings.safeParse({ graders: [{ kind: 'regex', name: 'r', pattern: 'x', flags: 'g' }] }).success).toBe(false);
  });

  it('rides on a task and on an agent', () => {
    expect(Task.parse({ input: 'hi', outcome: { maxAttempts: 2 } }).outcome?.maxAttempts).toBe(2);
    expect(AgentDefinition.parse({ name: 'a', model: 'openai/gpt-4.1', outcome: {} }).outcome?.graders).toHaveLength(1);
  });
});

describe('GradeJob', () => {
  it('has no room for a conversation: unknown fields are refused', () => {
    const job = { sessionId: 's-1', correlationId: 's-1', attempt: 1, output: 'o', files: [], rubric: { criteria: [{ id: 'c1', text: 't', weight: 1, required: true }] }, outcome: OutcomeSettings.parse({}), model: 'openai/gpt-4.1' };
    expect(GradeJob.safeParse(job).success).toBe(true);
    expect(GradeJob.safeParse({ ...job, messages: [{ role: 'user', content: 'secret' }] }).success).toBe(false);
  });
});

describe('GradeCommand', () => {
  const grade = { type: 'grade', sessionId: 's-1', attempt: 1, passed: false, score: 0.5, verdicts: [], graders: [], changes: ['cite a source'] };

  it('bounds what a sender may make the actor hold', () => {
    expect(GradeCommand.safeParse(grade).success).toBe(true);
    expect(GradeCommand.safeParse({ ...grade, changes: Array.from({ length: 21 }, () => 'x') }).success).toBe(false);
    expect(GradeCommand.safeParse({ ...grade, changes: ['x'.repeat(2_001)] }).success).toBe(false);
    expect(GradeCommand.safeParse({ ...grade, score: 1.5 }).success).toBe(false);
    expect(GradeCommand.safeParse({ ...grade, costUsd: 1e9 }).success).toBe(false);
    expect(GradeCommand.safeParse({ ...grade, extra: true }).success).toBe(false);
  });
});
