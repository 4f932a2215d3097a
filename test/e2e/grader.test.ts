import { graderService, type GraderModels } from '@signalbox/grader';
import { OutcomeSettings, type ModelRequest, type ScriptStep, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Outcomes (#19) end to end with the real grader pool: a scripted agent, the grader service in the
 * same host, and a scripted grader model injected into it. The grader model passes an answer that
 * cites a source; for a session about a riddle it answers garbage until told otherwise.
 */
const usage = { inputTokens: 300, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 };
const gradingCostUsd = 0.002;
/** What the grader model was asked, in order. */
const asked: ModelRequest[] = [];
let garbling = true;

const graderModel = {
  name: 'graders',
  complete: async (request: ModelRequest): Promise<ModelResponse> => {
    asked.push(request);
    const text = request.messages.map((message) => message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')).join('\n');
    const reply = (body: string): ModelResponse => ({ model: 'strict-grader', content: [{ type: 'text', text: body }], stopReason: 'end_turn', usage });
    if (text.includes('riddle') && garbling) return reply('I think it is fine </submitted_output> {"verdicts": "yes"');
    const cites = /Source:/.test(text.slice(text.indexOf('<submitted_output>')));
    const verdict = { criterion: 'c1', passed: cites, reason: cites ? 'It cites its source.' : 'It cites no source.' };
    return reply(JSON.stringify({ verdicts: [verdict], changes: cites ? [] : ['Cite the source of the answer.'] }));
  },
};
const models: GraderModels = () => ({ provider: graderModel, name: 'strict', costOf: () => gradingCostUsd });

let runtime: TestRuntime;

beforeAll(async () => {
  const outcome = OutcomeSettings.parse({ maxAttempts: 2, model: 'graders/strict', files: ['answer.md'], graders: [{ kind: 'model' }, { kind: 'regex', name: 'no-todo', pattern: 'TODO', mustNotMatch: true }] });
  const rubric = 'The answer cites its source.';
  const agent = (name: string, script: ScriptStep[]) => scriptedAgent({ name, outcome, rubric, system: 'SYSTEM-SECRET-7', script });
  runtime = await startTestRuntime({
    services: [graderService({ models })],
    agents: [
      agent('fixer', [
        { tool: 'workspace.write', input: { path: 'answer.md', content: 'draft: 42' } },
        { final: 'It is 42.' },
        { final: 'It is 42. Source: the Guide.' },
      ]),
      agent('stubborn', [{ final: 'It is 42.' }, { final: 'Still 42, TODO cite.' }]),
      agent('riddler', [{ final: 'The riddle answer is a map. Source: the riddle book.' }]),
    ],
  });
}, 60_000);
afterAll(async () => {
  await runtime?.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

describe('the grader pool grading outcomes', () => {
  it('fails the first answer, the agent reads the changes and fixes it, the second passes; the grader saw no conversation', async () => {
    await runtime.client.submit('fixer', { input: 'What is the answer? QUESTION-SECRET-9', sessionId: 'fixer-1' });
    const events = await runtime.completedSession('fixer-1', 30_000);
    const graded = ofType(events, 'outcome.graded');
    expect(graded.map((event) => [event.data.attempt, event.data.passed, event.data.score])).toEqual([
      [1, false, 0.5],
      [2, true, 1],
    ]);
    expect(graded[0]?.data).toMatchObject({ changes: ['Cite the source of the answer.'], disagreement: expect.stringContaining('no-todo'), model: 'graders/strict' });
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'It is 42. Source: the Guide.', grade: { attempt: 2, passed: true } } });
    // The grader model read the output, the submitted file at its revision, the rubric; never the system prompt nor the task.
    const request = JSON.stringify(asked.filter((each) => JSON.stringify(each).includes('It is 42')));
    expect(request).toContain('draft: 42');
    expect(request).toContain('The answer cites its source.');
    expect(request).not.toMatch(/SYSTEM-SECRET-7|QUESTION-SECRET-9/);
    expect(asked[0]?.responseFormat?.name).toBe('grade');
  });

  it("grades a fork's answer with the files it inherited from its origin", async () => {
    const original = await runtime.client.events('fixer-1');
    const written = original.find((event) => event.type === 'tool.completed');
    const askedBefore = asked.length;
    await runtime.client.fork('fixer-1', { at: written?.n ?? 0, sessionId: 'fixer-fork' });
    const events = await runtime.completedSession('fixer-fork', 30_000);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', grade: { attempt: 2, passed: true } } });
    // The fork wrote nothing of its own: answer.md is its origin's, read through the layer the actor put on the job.
    const forkRequests = JSON.stringify(asked.slice(askedBefore));
    expect(forkRequests).toContain('draft: 42');
    expect(forkRequests).not.toContain('status=\\"missing\\"');
  });

  it('counts the grading cost in the totals, shown apart', async () => {
    const events = await runtime.client.events('fixer-1');
    const totals = ofType(events, 'session.completed')[0]?.data.totals;
    expect(totals?.grading).toEqual({ inputTokens: 600, outputTokens: 80, costUsd: 2 * gradingCostUsd });
    expect(totals?.costUsd).toBeCloseTo(2 * gradingCostUsd);
  });

  it('fails the session at maxAttempts, with the last grade and what it still asked for', async () => {
    await runtime.client.submit('stubborn', { input: 'What is the answer?', sessionId: 'stubborn-1' });
    const events = await runtime.completedSession('stubborn-1', 30_000);
    expect(ofType(events, 'outcome.graded').map((event) => event.data.passed)).toEqual([false, false]);
    const completed = events.at(-1);
    expect(completed).toMatchObject({ data: { status: 'failed', output: 'Still 42, TODO cite.', grade: { attempt: 2, passed: false, score: 0 } } });
    expect(completed?.type === 'session.completed' ? completed.data.reason : '').toMatch(/2 attempts[\s\S]*Cite the source/);
  });

  it('pauses the session when the grader model keeps answering garbage; a resume grades the attempt again', async () => {
    await runtime.client.submit('riddler', { input: 'A riddle', sessionId: 'riddler-1' });
    const paused = await eventsUntil(runtime.client, 'riddler-1', (events) => events.at(-1)?.type === 'session.paused', 15_000);
    expect(paused.at(-1)).toMatchObject({ data: { by: 'grader', reason: expect.stringContaining('malformed after 3 attempts') } });
    expect(ofType(paused, 'outcome.graded')[0]?.data).toMatchObject({ problem: expect.any(String), costUsd: 3 * gradingCostUsd });
    garbling = false;
    await runtime.client.resume('riddler-1', { by: 'cli:test' });
    const events = await runtime.completedSession('riddler-1', 30_000);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', grade: { attempt: 1, passed: true } } });
  });
});
