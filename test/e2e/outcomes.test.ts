import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { decode, encode, GradeJob, OutcomeSettings, type GradeCommand, type SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventsUntil, scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Outcomes (#19) on the session side, end to end: the actor sends each attempt to the grade jobs
 * subject and records the grade it gets back on the session's `.grader` subject. This test stands in
 * for the grader pool: it fails the first attempt with the changes required and passes the second.
 */
let runtime: TestRuntime;
let jobs: Subscription;
const received: GradeJob[] = [];
const usage = { inputTokens: 200, outputTokens: 30, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** Sessions whose first job the stand-in cannot grade. */
const puzzling = new Set(['puzzled']);

const grade = (job: GradeJob): GradeCommand => {
  if (puzzling.delete(job.sessionId)) {
    return { type: 'grade', sessionId: job.sessionId, attempt: job.attempt, passed: false, score: 0, verdicts: [], graders: [], changes: [], problem: 'the verdict stayed malformed', usage, costUsd: 0.001 };
  }
  const passed = job.output.includes('test_login');
  return {
    type: 'grade',
    sessionId: job.sessionId,
    attempt: job.attempt,
    passed,
    score: passed ? 1 : 0.3,
    verdicts: [{ criterion: 'c1', passed, reason: passed ? 'It names test_login.' : 'It names no test.' }],
    graders: [{ name: 'model', kind: 'model', passed, score: passed ? 1 : 0.3, reason: 'c1' }],
    changes: passed ? [] : ['Name the failing test.'],
    model: 'scripted',
    usage,
    costUsd: 0.001,
  };
};

/** Grades the stand-in grader holds back until the test answers them. */
const held: (() => void)[] = [];

/** Grade jobs the jobs stream holds. */
async function gradeJobsQueued(): Promise<number> {
  const { names } = runtime.client;
  const info = await (await jetstreamManager(runtime.nc)).streams.info(names.streams.jobs, { subjects_filter: names.subjects.gradeJobs });
  return info.state.subjects?.[names.subjects.gradeJobs] ?? 0;
}

beforeAll(async () => {
  const outcome = OutcomeSettings.parse({ maxAttempts: 2, files: ['report.md'] });
  const script = [
    { tool: 'workspace.write', input: { path: 'report.md', content: 'Something fails.' } },
    { final: 'Something fails.' },
    { final: 'test_login fails.' },
  ];
  runtime = await startTestRuntime({
    agents: [
      scriptedAgent({ name: 'reporter', outcome, rubric: 'The report names the failing test.', script }),
      scriptedAgent({ name: 'plain', script: [{ final: 'done' }] }),
    ],
  });
  const js = jetstream(runtime.nc);
  jobs = runtime.nc.subscribe(runtime.client.names.subjects.gradeJobs, {
    callback: (error, message) => {
      if (error) return;
      const job = decode(GradeJob, message.data, 'grade job');
      received.push(job);
      const answer = () => void js.publish(runtime.client.names.subjects.grades(job.sessionId), encode(grade(job)));
      // The grade of a session whose id says so waits for the test, as a slow grader's would.
      if (job.sessionId.startsWith('held-')) held.push(answer);
      else answer();
    },
  });
});
afterAll(async () => {
  jobs?.unsubscribe();
  await runtime?.dispose();
});

describe('an outcome, graded', () => {
  it('shows the session as grading in the sessions index while its answer waits for the grade', async () => {
    await runtime.client.submit('reporter', { input: 'Which test fails?', sessionId: 'held-grade' });
    const row = async () => (await runtime.client.sessions()).find((entry) => entry.sessionId === 'held-grade')?.status;
    await expect.poll(row).toBe('grading');
    held.splice(0).forEach((answer) => answer());
    await expect.poll(async () => (held.splice(0).forEach((answer) => answer()), await row())).toBe('succeeded');
  });

  it('fails, fixes, passes: submitted, graded (fail), the changes as a user message, submitted, graded (pass), succeeded', async () => {
    await runtime.client.submit('reporter', { input: 'Which test fails?', sessionId: 'graded' });
    const events = await runtime.completedSession('graded', 20_000);
    const outcomeEvents = events.filter((event) => event.type.startsWith('outcome.') || event.type === 'session.completed' || event.type === 'model.requested');
    expect(outcomeEvents.map((event) => event.type)).toEqual([
      'model.requested',
      'model.requested',
      'outcome.submitted',
      'outcome.graded',
      'model.requested',
      'outcome.submitted',
      'outcome.graded',
      'session.completed',
    ]);
    const submitted = events.filter((event): event is Extract<SessionEvent, { type: 'outcome.submitted' }> => event.type === 'outcome.submitted');
    expect(submitted[0]?.data).toMatchObject({ attempt: 1, output: 'Something fails.', files: [{ path: 'report.md', revision: expect.any(Number) }] });
    expect(events.at(-1)).toMatchObject({
      type: 'session.completed',
      data: { status: 'succeeded', output: 'test_login fails.', grade: { attempt: 2, passed: true, score: 1 }, totals: { grading: { inputTokens: 400, outputTokens: 60, costUsd: 0.002 } } },
    });
    // The grader got the answers and the rubric, nothing of the conversation.
    const jobsOfSession = received.filter((job) => job.sessionId === 'graded');
    expect(jobsOfSession.map((job) => job.attempt)).toEqual([1, 2]);
    expect(JSON.stringify(jobsOfSession)).not.toMatch(/Which test fails|You keep notes/);
  });

  it('pauses on a grade with a problem; a resume sends the job again and the grade goes on from there', async () => {
    const { client } = runtime;
    const queued = await gradeJobsQueued();
    await client.submit('reporter', { input: 'Which test fails?', sessionId: 'puzzled' });
    const paused = await eventsUntil(client, 'puzzled', (events) => events.at(-1)?.type === 'session.paused', 20_000);
    expect(paused.slice(-2)).toMatchObject([
      { type: 'outcome.graded', data: { attempt: 1, problem: 'the verdict stayed malformed' } },
      { type: 'session.paused', data: { by: 'grader', reason: 'the grader could not grade attempt 1: the verdict stayed malformed' } },
    ]);
    await client.resume('puzzled', { by: 'test' });
    const events = await runtime.completedSession('puzzled', 20_000);
    expect(events.filter((event) => event.type === 'outcome.graded').map((event) => (event.type === 'outcome.graded' ? [event.data.attempt, event.data.problem ?? event.data.passed] : []))).toEqual([
      [1, 'the verdict stayed malformed'],
      [1, false],
      [2, true],
    ]);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', totals: { grading: { inputTokens: 600 } } } });
    // Three jobs queued for the grader pool (none here consumes the stream): the one sent again on resume was not taken for a duplicate.
    expect((await gradeJobsQueued()) - queued).toBe(3);
  });

  it('takes a grade only on the session’s .grader subject, and none for a session that does not exist or has no outcome', async () => {
    const { client } = runtime;
    const js = jetstream(runtime.nc);
    await client.submit('plain', { input: 'x', sessionId: 'ungraded' });
    await runtime.completedSession('ungraded');
    const forged = (sessionId: string) => encode(grade({ sessionId, correlationId: sessionId, attempt: 1, output: 'x', files: [], rubric: { criteria: [{ id: 'c1', text: 't', weight: 1, required: true }] }, outcome: {} as GradeJob['outcome'], model: 'scripted' }));
    await js.publish(client.names.subjects.inbox('graded'), forged('graded'));
    await js.publish(client.names.subjects.grades('ghost'), forged('ghost'));
    await js.publish(client.names.subjects.grades('ungraded'), forged('ungraded'));
    await vi.waitFor(
      async () => {
        const reasons = (await client.deadLetters()).map((letter) => letter.reason);
        expect(reasons).toEqual(
          expect.arrayContaining([
            'a grade is taken only on sbx.inbox.graded.grader, not on sbx.inbox.graded (session graded is unchanged)',
            'cannot record a grade of session ghost: it does not exist',
            expect.stringMatching(/^session ungraded has no outcome to grade/),
          ]),
        );
      },
      { timeout: 10_000 },
    );
  });

  it('refuses a task whose outcome has no rubric, with the reason, to the dead letters', async () => {
    const { client } = runtime;
    await client.submit('plain', { input: 'x', sessionId: 'no-rubric', outcome: OutcomeSettings.parse({ maxAttempts: 2 }) });
    await vi.waitFor(
      async () => {
        const reasons = (await client.deadLetters()).map((letter) => letter.reason);
        expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/the task's outcome cannot be graded: neither the task nor its agent gives a rubric/)]));
      },
      { timeout: 10_000 },
    );
  });
});
