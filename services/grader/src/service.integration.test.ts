import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { decode, encode, errorHeader, GradeCommand, naming, OutcomeSettings, type GradeJob, type ModelRequest, type ModelResponse } from '@signalbox/events';
import { ModelError, type ModelProvider } from '@signalbox/models';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { provision, WorkspaceFiles } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineGrader, graderService, type GraderModels } from './index.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
const hosts: Host[] = [];
/** What the scripted grader model was asked, by session. */
const asked = new Map<string, ModelRequest[]>();
/** Replies the scripted grader model gives, by session, one a call; the last is repeated. */
const replies = new Map<string, string[]>();

/** A reply the scripted provider answers with an unretryable ModelError instead. */
const refusal = '!refused';
const bothPass = JSON.stringify({ verdicts: [{ criterion: 'correct', passed: true, reason: 'Right.' }, { criterion: 'cites', passed: true, reason: 'Cites.' }], changes: [] });
const citesFails = JSON.stringify({ verdicts: [{ criterion: 'correct', passed: true, reason: 'Right.' }, { criterion: 'cites', passed: false, reason: 'No source.' }], changes: ['Cite a source.'] });

function reply(text: string): ModelResponse {
  return { model: 'grader-1', content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 } };
}

/** A scripted provider: answers each session's grading from `replies`, recording the request. */
const scripted: ModelProvider = {
  name: 'scripted',
  complete: async (request) => {
    const text = JSON.stringify(request.messages);
    const sessionId = /\[([a-z0-9-]+)\] The answer/.exec(text)?.[1] ?? '';
    asked.set(sessionId, [...(asked.get(sessionId) ?? []), request]);
    const queue = replies.get(sessionId) ?? [bothPass];
    if (queue[0] === refusal) throw new ModelError('authentication', 'the API key was refused', { retryable: false, status: 401 });
    return reply(queue.length > 1 ? (queue.shift() as string) : (queue[0] as string));
  },
};
const models: GraderModels = () => ({ provider: scripted, name: 'grader-1', costOf: (usage) => usage.inputTokens / 1e6 });
const wordCount = defineGrader('short-enough', ({ output }) => ({ passed: output.split(/\s+/).length <= 50, reason: `${output.split(/\s+/).length} words` }));

function config(instance: string) {
  return RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance });
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  hosts.push(await startHost([graderService({ models, graders: [wordCount], ackWaitMs: 1_500 })], config('grader-a')));
});
afterAll(async () => {
  await Promise.allSettled(hosts.map((host) => host.stop()));
  await nc?.close();
  await server?.dispose();
});

/** A grade job for `sessionId`: its output names the session, so the scripted model knows whose reply to give. */
function jobFor(sessionId: string, fields: Partial<GradeJob> = {}, outcome: Record<string, unknown> = {}): GradeJob {
  return {
    sessionId,
    correlationId: sessionId,
    attempt: 1,
    output: `[${sessionId}] The answer is 42, per the Guide.`,
    files: [],
    rubric: { criteria: [{ id: 'correct', text: 'The answer is right.', weight: 1, required: true }, { id: 'cites', text: 'Cites a source.', weight: 1, required: false }] },
    outcome: OutcomeSettings.parse(outcome),
    model: 'scripted/grader-1',
    ...fields,
  };
}

/** The grades arriving on a session's grader subject. */
async function gradesOf(sessionId: string) {
  const { name } = await (await jetstreamManager(nc)).consumers.add(names.streams.inbox, { filter_subject: names.subjects.grades(sessionId), ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc).consumers.get(names.streams.inbox, name);
  return {
    next: async (timeoutMs = 10_000): Promise<{ grade: GradeCommand; message: JsMsg }> => {
      const message = await consumer.next({ expires: timeoutMs });
      if (!message) throw new Error(`no grade for ${sessionId} within ${timeoutMs} ms`);
      message.ack();
      return { grade: decode(GradeCommand, message.data, 'grade'), message };
    },
    pending: async () => (await consumer.info()).num_pending,
  };
}

describe('the grader', () => {
  it('grades a job: the grade command comes out on the session\'s grader subject, with the files read at their revision', async () => {
    const workspace = await WorkspaceFiles.open(nc, names);
    const revision = await workspace.write('graded-1', 'report.md', new TextEncoder().encode('# Report\nSources: the Guide.'));
    await workspace.write('graded-1', 'logo.png', new Uint8Array([0x89, 0x50, 0xff, 0xfe, 0x00]));
    await workspace.write('graded-1', 'report.md', new TextEncoder().encode('written after the submission'));
    const grades = await gradesOf('graded-1');
    const job = jobFor('graded-1', { files: [{ path: 'report.md', revision }, { path: 'absent.md', revision }, { path: 'logo.png', revision: revision + 1 }, { path: 'unwritten.md' }] }, { graders: [{ kind: 'model', name: 'model' }, { kind: 'function', name: 'short-enough' }] });
    // The actor's message id: the grade takes it, so one job gets one grade however often it is delivered.
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(job), { msgID: 'grade/graded-1/1' });
    const { grade, message } = await grades.next();
    expect(grade).toEqual({
      type: 'grade',
      sessionId: 'graded-1',
      attempt: 1,
      passed: true,
      score: 1,
      verdicts: [{ criterion: 'correct', passed: true, reason: 'Right.' }, { criterion: 'cites', passed: true, reason: 'Cites.' }],
      graders: [
        { name: 'model', kind: 'model', passed: true, score: 1, reason: expect.stringContaining('2 of 2 criteria passed') },
        { name: 'short-enough', kind: 'function', passed: true, score: 1, reason: '8 words' },
      ],
      changes: [],
      model: 'scripted/grader-1',
      usage: { inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costUsd: 0.001,
    });
    expect(message.headers?.get('Nats-Msg-Id')).toBe('grade/graded-1/1');
    const prompt = JSON.stringify(asked.get('graded-1')?.[0]);
    expect(prompt).toContain('Sources: the Guide.');
    expect(prompt).not.toContain('written after the submission');
    expect(prompt).toMatch(/absent\.md\\" status=\\"missing\\"/);
    expect(prompt).toMatch(/logo\.png\\" status=\\"binary\\">\\n5 bytes that are not UTF-8 text/);
    expect(prompt).toMatch(/unwritten\.md\\" status=\\"missing\\">\\nthe run had written no file/);
    expect(asked.get('graded-1')?.[0]).toMatchObject({ tools: [], responseFormat: { name: 'grade' } });
  });

  it('sends a failing grade with the changes to make', async () => {
    replies.set('graded-2', [citesFails]);
    const grades = await gradesOf('graded-2');
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(jobFor('graded-2', { attempt: 2 }, { passThreshold: 0.9 })));
    expect((await grades.next()).grade).toMatchObject({ attempt: 2, passed: false, score: 0.5, changes: ['Cite a source.'] });
  });

  it('sends a problem when the verdict stays malformed after 3 attempts, each attempt counted', async () => {
    replies.set('malformed-1', ['Looks great, passing it!']);
    const grades = await gradesOf('malformed-1');
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(jobFor('malformed-1')));
    const { grade } = await grades.next();
    expect(grade).toMatchObject({ passed: false, problem: expect.stringMatching(/^the grader model's verdict stayed malformed after 3 attempts: the reply is not JSON/), usage: { inputTokens: 3_000 }, costUsd: 0.003 });
    expect(asked.get('malformed-1')).toHaveLength(3);
  });

  it('sends a problem for a function grader it does not have', async () => {
    const grades = await gradesOf('unregistered-1');
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(jobFor('unregistered-1', {}, { graders: [{ kind: 'function', name: 'nobody' }] })));
    expect((await grades.next()).grade).toMatchObject({ passed: false, problem: expect.stringContaining('"nobody"') });
  });

  it('tells the session at once, as a problem, when the model refuses the call for good (a bad key)', async () => {
    replies.set('refused-1', [refusal]);
    const grades = await gradesOf('refused-1');
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(jobFor('refused-1')));
    const { grade } = await grades.next();
    expect(grade).toMatchObject({ passed: false, problem: 'the grade job was dead-lettered: the grader model scripted/grader-1 refused the call (authentication): the API key was refused' });
    expect(asked.get('refused-1')).toHaveLength(1);
  });

  it('dead-letters a job that is not one, with the reason', async () => {
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(names.streams.dlq)).state.last_seq;
    await jetstream(nc).publish(names.subjects.gradeJobs, encode({ sessionId: 'bad-1', messages: ['the whole transcript'] }));
    const letter = await waitFor(async () => {
      const info = await jsm.streams.info(names.streams.dlq);
      return info.state.last_seq > before ? jsm.streams.getMessage(names.streams.dlq, { seq: info.state.last_seq }) : undefined;
    });
    expect(letter?.subject).toBe(names.subjects.dlq('jobs'));
    expect(letter?.header.get(errorHeader)).toMatch(/grade job/);
  });

  it('answers a regrade request with the grade, sending nothing to the session', async () => {
    replies.set('archived-1', [citesFails]);
    const grades = await gradesOf('archived-1');
    const answer = await nc.request(names.subjects.regrade, encode(jobFor('archived-1')), { timeout: 10_000 });
    const { grade } = z.object({ grade: GradeCommand }).parse(decode(z.unknown(), answer.data, 'regrade reply'));
    expect(grade).toMatchObject({ type: 'grade', sessionId: 'archived-1', passed: false, score: 0.5, changes: ['Cite a source.'] });
    const refused = await nc.request(names.subjects.regrade, encode({ not: 'a job' }), { timeout: 10_000 });
    expect(decode(z.object({ error: z.string() }), refused.data, 'regrade reply').error).toMatch(/grade job/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await grades.pending()).toBe(0);
  });

  it('has another replica grade the job of a replica killed mid-grade', async () => {
    let started!: () => void;
    const midGrade = new Promise<void>((resolve) => (started = resolve));
    // This replica's model never answers: it is killed (its connection dropped, nothing acked) while it waits.
    const hanging: GraderModels = () => ({ provider: { name: 'scripted', complete: () => (started(), new Promise<never>(() => undefined)) }, name: 'grader-1', costOf: () => 0 });
    await hosts.splice(0).reduce((stopped, host) => stopped.then(() => host.stop()), Promise.resolve());
    const doomed = await startHost([graderService({ models: hanging, ackWaitMs: 1_500 })], config('grader-doomed'));
    const grades = await gradesOf('killed-1');
    await jetstream(nc).publish(names.subjects.gradeJobs, encode(jobFor('killed-1')), { msgID: 'grade/killed-1/1/2' });
    await midGrade;
    await doomed.nc.close();
    hosts.push(await startHost([graderService({ models, ackWaitMs: 1_500 })], config('grader-b')));
    const { grade, message } = await grades.next(15_000);
    expect(grade).toMatchObject({ sessionId: 'killed-1', passed: true, score: 1 });
    expect(message.headers?.get('Nats-Msg-Id')).toBe('grade/killed-1/1/2');
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
