import { errors } from '@nats-io/nats-core';
import { encode, OutcomeSettings, readRubric, type NewEvent, type Rubric, type SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { readRegradeReply, RegradeError, regradeJobs, regradeRequestError, regradeSessionId } from './regrade.ts';
import { summarise } from '@signalbox/session';

const outcome = OutcomeSettings.parse({ maxAttempts: 2, files: ['report.md'], seesInput: true });
const agent = { name: 'reporter', model: 'anthropic/claude-x', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 1024, subagents: [], outcome, rubric: 'The old rubric.' };
const graded = (attempt: number, passed: boolean, score: number) => ({
  attempt, passed, score, verdicts: [{ criterion: 'c1', passed, reason: 'r' }], graders: [{ name: 'model', kind: 'model', passed, score, reason: 'c1' }], changes: passed ? [] : ['Cite.'], costUsd: 0.001,
});

function eventsOf(log: NewEvent[], sessionId = 'graded'): SessionEvent[] {
  return log.map((event, index) => ({ ...event, id: `e${index}`, v: 1, sessionId, n: index + 1, at: index, causationId: null, correlationId: 'corr', by: { service: 't', instance: 't' } }));
}

const created = (extra: object = {}): NewEvent => ({ type: 'session.created', data: { agent, input: 'Which test fails?', tools: [], budget: agent.budget, deciderVersion: 8, ...extra } });
const log: NewEvent[] = [
  created(),
  { type: 'outcome.submitted', data: { attempt: 1, output: 'It fails.', files: [{ path: 'report.md', revision: 3 }] } },
  { type: 'outcome.graded', data: graded(1, false, 0.4) },
  { type: 'outcome.submitted', data: { attempt: 2, output: 'test_login fails.', files: [{ path: 'report.md', revision: 5 }] } },
  { type: 'outcome.graded', data: graded(2, true, 1) },
  { type: 'session.completed', data: { status: 'succeeded', output: 'test_login fails.', totals: { steps: 2, toolCalls: 0, inputTokens: 20, outputTokens: 10, costUsd: 0.002, grading: { inputTokens: 2, outputTokens: 1, costUsd: 0.002 } } } },
] as NewEvent[];

const rubric = (readRubric({ criteria: [{ id: 'names', text: 'Names the failing test.' }, { text: 'Cites a source.' }] }) as { rubric: Rubric }).rubric;

describe('regradeJobs', () => {
  it('builds a job an attempt: the new rubric, the submitted bytes and revisions, the session\'s own settings, model and input', () => {
    const jobs = regradeJobs(eventsOf(log), rubric);
    expect(jobs.map((job) => job.attempt)).toEqual([1, 2]);
    expect(jobs[0]?.job).toEqual({
      sessionId: 'graded', correlationId: 'corr', attempt: 1, output: 'It fails.', files: [{ path: 'report.md', revision: 3 }],
      rubric, outcome, model: 'anthropic/claude-x', input: 'Which test fails?',
    });
    expect(jobs.map((job) => job.old?.score)).toEqual([0.4, 1]);
  });

  it('takes only the last attempt with last, and the task\'s outcome and its model over the agent\'s', () => {
    const taskOutcome = OutcomeSettings.parse({ model: 'openai/gpt-y' });
    const [only, ...rest] = regradeJobs(eventsOf([created({ outcome: taskOutcome }), ...log.slice(1)]), rubric, { last: true });
    expect(rest).toEqual([]);
    expect(only?.attempt).toBe(2);
    expect(only?.job.model).toBe('openai/gpt-y');
    expect(only?.job.outcome).toEqual(taskOutcome);
    expect(only?.job.input).toBeUndefined();
  });

  it('has no old grade for an attempt never graded', () => {
    expect(regradeJobs(eventsOf(log.slice(0, 4)), rubric).map((job) => job.old?.passed)).toEqual([false, undefined]);
  });

  it('refuses a session with no outcome, or nothing submitted, or no session.created', () => {
    expect(() => regradeJobs(eventsOf([created(), log[5] as NewEvent]), rubric)).toThrow(/no outcome.submitted/);
    const plain = { ...agent, outcome: undefined };
    expect(() => regradeJobs(eventsOf([{ ...created(), data: { ...(created().data), agent: plain } } as NewEvent]), rubric)).toThrow(/has no outcome/);
    expect(() => regradeJobs(eventsOf([created({ deciderVersion: 7 }), ...log.slice(1)]), rubric)).toThrow(RegradeError);
    expect(() => regradeJobs(eventsOf(log.slice(1)), rubric)).toThrow(/no session.created/);
  });

  it('refuses a submitted output too long for a grade job, rather than sending it', () => {
    const huge = eventsOf([created(), { type: 'outcome.submitted', data: { attempt: 1, output: 'x'.repeat(1_000_001), files: [] } }]);
    expect(() => regradeJobs(huge, rubric)).toThrow();
  });
});

describe('regradeSessionId', () => {
  it('takes a session id, and refuses dots, wildcards, spaces and the empty string', () => {
    expect(regradeSessionId('01JABC-graded_1')).toBe('01JABC-graded_1');
    for (const bad of ['a.b', '*', '>', 'a b', '', 'x'.repeat(500), 'sbx.sessions.>']) expect(() => regradeSessionId(bad)).toThrow(RegradeError);
  });
});

describe('summarise, for a graded session', () => {
  it('lists its grades in order, and its totals carry the grading cost', () => {
    const summary = summarise('graded', eventsOf(log));
    expect(summary.grades).toEqual([{ attempt: 1, passed: false, score: 0.4 }, { attempt: 2, passed: true, score: 1 }]);
    expect(summary.totals?.grading?.costUsd).toBe(0.002);
  });
});

describe('a regrade request', () => {
  it('says to start a grader when none answers, and to wait longer when none answers in time', () => {
    expect(regradeRequestError(new errors.NoRespondersError('sbx.rpc.grader.regrade'), 1_000).message).toBe('no grader answered: start `signalbox run grader`');
    expect(regradeRequestError(new errors.RequestError('no responders', { cause: new errors.NoRespondersError('x') }), 1_000)).toBeInstanceOf(RegradeError);
    expect(regradeRequestError(new errors.TimeoutError(), 1_000).message).toMatch(/within 1000 ms/);
  });

  it('reads the grade, the grader\'s error, and refuses anything else', () => {
    const grade = { type: 'grade', sessionId: 's', attempt: 1, passed: true, score: 1, verdicts: [], graders: [], changes: [], costUsd: 0 };
    expect(readRegradeReply(encode({ grade }))).toEqual(grade);
    expect(() => readRegradeReply(encode({ error: 'busy' }))).toThrow('the grader could not regrade: busy');
    expect(() => readRegradeReply(encode({ grade: { ...grade, score: 7 } }))).toThrow(RegradeError);
    expect(() => readRegradeReply(new TextEncoder().encode('{"grade":1}'))).toThrow(RegradeError);
  });
});
