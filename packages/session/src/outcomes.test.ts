import { OutcomeSettings, type NewEvent, type SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { lastMessage } from './conversation.ts';
import { decide, type SessionCommand } from './decide.ts';
import { forkPrefix } from './fork.ts';
import type { Grade } from './grades.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { fold, initialState } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const outcome = OutcomeSettings.parse({ maxAttempts: 2, files: ['report.md'] });
const rubric = 'The report names the failing test.';
const graded = { ...agent, system: 'SYSTEM-PROMPT-SECRET', budget: { maxSteps: 10 } };
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: graded, tools, input: 'TASK-INPUT-SECRET', budget: graded.budget, rubric, outcome };
const reply = (step: number, content: Extract<SessionCommand, { type: 'RecordModelReply' }>['response']['content'], costUsd = 0.01): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content, stopReason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn', usage },
  costUsd,
  latencyMs: 1,
});
const readCall = reply(1, [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'EARLIER-MESSAGE-SECRET.md' } }]);
const granted: SessionCommand = { type: 'RecordPermissions', verdicts: [{ callId: 'call_1', verdict: { effect: 'allow', reason: 'allowed' } }] };
const readResult: SessionCommand = {
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome: { status: 'completed', output: 'TOOL-OUTPUT-SECRET', workspaceRevision: 7 }, durationMs: 2 },
};
const answer = (step: number, text: string) => reply(step, [{ type: 'text', text }]);
const grade = (attempt: number, extra: Partial<Grade> = {}): SessionCommand => ({
  type: 'RecordGrade',
  attempt,
  passed: false,
  score: 0.4,
  verdicts: [{ criterion: 'c1', passed: false, reason: 'It does not name the test.' }],
  graders: [{ name: 'model', kind: 'model', passed: false, score: 0.4, reason: 'c1 failed' }],
  changes: ['Name the failing test.'],
  model: 'anthropic/claude-haiku-4-5',
  usage: { inputTokens: 300, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd: 0.002,
  ...extra,
});
const pass = (attempt: number) => grade(attempt, { passed: true, score: 0.9, changes: [], verdicts: [{ criterion: 'c1', passed: true, reason: 'Named.' }] });
const asNew = (events: SessionEvent[]): NewEvent[] => events.map(({ type, data }) => ({ type, data }) as NewEvent);
/** Read a file (the workspace at revision 7), then answered: attempt 1 waits for its grade. */
const submittedOnce = (...after: SessionCommand[]) => asNew(recorded(start, readCall, granted, readResult, answer(2, 'First try.'), ...after));

describe('an outcome (decider version 8)', () => {
  it('records the task’s outcome with the session, graded against the task’s rubric', () => {
    const state = fold(recorded(start));
    expect(state).toMatchObject({ gradedBy: { settings: { maxAttempts: 2 }, rubric: { criteria: [{ id: 'c1', text: rubric, required: true }] } } });
  });

  it('takes the agent’s outcome and rubric when the task gives none, the task’s rubric before the agent’s', () => {
    const withOutcome = { ...graded, outcome: OutcomeSettings.parse({}), rubric: 'The agent’s rubric.' };
    const bare: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: withOutcome, tools, input: 'x', budget: graded.budget };
    expect(fold(recorded(bare))).toMatchObject({ gradedBy: { settings: { maxAttempts: 3 }, rubric: { criteria: [{ text: 'The agent’s rubric.' }] } } });
    expect(fold(recorded({ ...bare, rubric }))).toMatchObject({ gradedBy: { rubric: { criteria: [{ text: rubric }] } } });
  });

  it('submits a final answer for grading instead of completing, with its files at the latest revision', () => {
    const decision = given(asNew(recorded(start, readCall, granted, readResult)))
      .when(answer(2, 'First try.'))
      .then(
        [{ type: 'model.responded' }, { type: 'outcome.submitted', data: { attempt: 1, output: 'First try.', files: [{ path: 'report.md', revision: 7 }] } }],
        [{ type: 'DispatchGrade', job: { sessionId: 's1', correlationId: 's1', attempt: 1, output: 'First try.', files: [{ path: 'report.md', revision: 7 }], model: 'scripted', outcome } }],
      );
    expect(decision.effects[0]).toMatchObject({ job: { rubric: { criteria: [{ id: 'c1', text: rubric }] } } });
    expect(fold(stored(submittedOnce()))).toMatchObject({ status: 'awaiting_grade', attempt: 1, output: 'First try.' });
  });

  it('sends the grader nothing of the conversation: no system prompt, no tool output, no earlier message, no input', () => {
    const decision = given(asNew(recorded(start, readCall, granted, readResult))).when(answer(2, 'First try.')).then([{ type: 'model.responded' }, { type: 'outcome.submitted' }]);
    const job = JSON.stringify(decision.effects);
    for (const secret of ['SYSTEM-PROMPT-SECRET', 'TASK-INPUT-SECRET', 'TOOL-OUTPUT-SECRET', 'EARLIER-MESSAGE-SECRET']) expect(job).not.toContain(secret);
    expect(decision.effects[0]).not.toHaveProperty('job.input');
  });

  it('sends the task’s input only when the outcome lets the grader see it, to the outcome’s own model', () => {
    const seeing = { ...start, outcome: { ...outcome, seesInput: true, model: 'anthropic/claude-haiku-4-5' } } as SessionCommand;
    const decision = given(asNew(recorded(seeing))).when(answer(1, 'Done.')).then([{ type: 'model.responded' }, { type: 'outcome.submitted', data: { files: [{ path: 'report.md' }] } }]);
    expect(decision.effects[0]).toMatchObject({ job: { input: 'TASK-INPUT-SECRET', model: 'anthropic/claude-haiku-4-5' } });
  });

  it('on a fail with attempts left, tells the agent the changes required and asks the model again', () => {
    given(submittedOnce())
      .when(grade(1))
      .then([{ type: 'outcome.graded', data: { attempt: 1, passed: false, changes: ['Name the failing test.'] } }, { type: 'model.requested', data: { callId: 'm3' } }], [{ type: 'CallModel' }]);
    const state = fold(stored(submittedOnce(grade(1))));
    if (state.status === 'new') throw new Error('no session');
    const message = lastMessage(state.conversation);
    expect(message).toMatchObject({ role: 'user' });
    expect(JSON.stringify(message)).toContain('attempt 1 of 2');
    expect(JSON.stringify(message)).toContain('- Name the failing test.');
  });

  it('lists the failed criteria’s reasons when the grade names no changes', () => {
    const state = fold(stored(submittedOnce(grade(1, { changes: [] }))));
    if (state.status === 'new') throw new Error('no session');
    expect(JSON.stringify(lastMessage(state.conversation))).toContain('- It does not name the test.');
  });

  it('fail, fix, pass: the second attempt passes and the session succeeds with it and its grade', () => {
    given(submittedOnce(grade(1), answer(3, 'Second try: test_login fails.')))
      .when(pass(2))
      .then([{ type: 'outcome.graded', data: { attempt: 2, passed: true } }, { type: 'session.completed', data: { status: 'succeeded', output: 'Second try: test_login fails.', grade: { attempt: 2, score: 0.9, passed: true } } }], []);
  });

  it('fails the session at maxAttempts, with the last answer and what its grade still asked for', () => {
    given(submittedOnce(grade(1), answer(3, 'Second try.')))
      .when(grade(2))
      .then([{ type: 'outcome.graded' }, { type: 'session.completed', data: { status: 'failed', output: 'Second try.', grade: { attempt: 2, passed: false }, reason: expect.stringMatching(/2 attempts.*Name the failing test\./) } }], []);
  });

  it('counts a grade’s tokens and cost in the totals, and apart in totals.grading; not as a step', () => {
    const before = fold(stored(submittedOnce()));
    // Up to the grade, before the next pass's model call.
    const after = fold(stored(submittedOnce(grade(1))).filter((event) => event.n <= before.n + 1));
    if (before.status === 'new' || after.status === 'new') throw new Error('no session');
    expect(after.totals).toMatchObject({ steps: before.totals.steps, inputTokens: before.totals.inputTokens + 300, outputTokens: before.totals.outputTokens + 40, grading: { inputTokens: 300, outputTokens: 40, costUsd: 0.002 } });
    expect(after.totals.costUsd).toBeCloseTo(before.totals.costUsd + 0.002);
    const done = decide(pass(2), fold(stored(submittedOnce(grade(1), answer(3, 'Again.')))));
    expect(done.events.at(-1)).toMatchObject({ data: { totals: { grading: { inputTokens: 600, outputTokens: 80 } } } });
  });

  it('records a grade once: a redelivered or late grade, or one of another attempt, records nothing', () => {
    given(submittedOnce(grade(1))).when(grade(1)).then([], []);
    given(submittedOnce()).when(grade(2)).then([], []);
    given(submittedOnce(pass(1))).when(pass(1)).then([], []);
    given(asNew(recorded(start, readCall))).when(grade(1)).then([], []);
  });

  it('pauses on a grade with a problem, waits for that attempt, and a resume sends the same job again', () => {
    const problem = grade(1, { problem: 'the model’s verdict stayed malformed' });
    given(submittedOnce())
      .when(problem)
      .then([{ type: 'outcome.graded', data: { problem: 'the model’s verdict stayed malformed' } }, { type: 'session.paused', data: { by: 'grader', reason: 'the grader could not grade attempt 1: the model’s verdict stayed malformed' } }], []);
    given(submittedOnce(problem)).when(problem).then([], []);
    given(submittedOnce(problem))
      .when({ type: 'ResumeSession', by: 'cli:ann' })
      .then([{ type: 'session.resumed' }], [{ type: 'DispatchGrade', job: { attempt: 1, output: 'First try.', files: [{ path: 'report.md', revision: 7 }] }, round: 1 }]);
    given(submittedOnce(problem, { type: 'ResumeSession', by: 'cli:ann' })).when(pass(1)).then([{ type: 'outcome.graded' }, { type: 'session.completed', data: { status: 'succeeded' } }]);
  });

  it('sends the job again on a crash-recovery Resume while waiting for the grade, and nothing while paused', () => {
    given(submittedOnce()).when({ type: 'Resume' }).then([], [{ type: 'DispatchGrade', job: { attempt: 1 }, round: 0 }]);
    given(submittedOnce({ type: 'PauseSession', reason: 'look', by: 'cli:ann' })).when({ type: 'Resume' }).then([], []);
  });

  it('records a grade that comes while paused, and does what follows on resume', () => {
    const pause: SessionCommand = { type: 'PauseSession', reason: 'look', by: 'cli:ann' };
    given(submittedOnce(pause)).when(grade(1)).then([{ type: 'outcome.graded' }], []);
    given(submittedOnce(pause, grade(1))).when({ type: 'ResumeSession', by: 'cli:ann' }).then([{ type: 'session.resumed' }, { type: 'model.requested' }], [{ type: 'CallModel' }]);
    given(submittedOnce(pause, pass(1))).when({ type: 'ResumeSession', by: 'cli:ann' }).then([{ type: 'session.resumed' }, { type: 'session.completed', data: { status: 'succeeded', output: 'First try.' } }], []);
  });

  it('goes by the budget on the next pass: a fail after the last step pauses it', () => {
    const tight = { ...start, budget: { maxSteps: 2 } } as SessionCommand;
    const log = asNew(recorded(tight, readCall, granted, readResult, answer(2, 'First try.')));
    given(log).when(grade(1)).then([{ type: 'outcome.graded' }, { type: 'budget.exceeded', data: { limit: 'maxSteps' } }, { type: 'session.paused' }], []);
  });

  it('is ignored entirely by a session created under version 7: its answer completes it, a grade records nothing', () => {
    const old = { ...start, deciderVersion: 7 } as SessionCommand;
    expect(fold(recorded(old))).toMatchObject({ gradedBy: null });
    given(asNew(recorded(old))).when(answer(1, 'Done.')).then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', output: 'Done.' } }], []);
    given(asNew(recorded(old))).when(grade(1)).then([], []);
  });

  it('does not grade an answer cut off or refused, and a session without an outcome completes as before', () => {
    const cut: SessionCommand = { type: 'RecordModelReply', callId: 'm1', response: { model: 'scripted', content: [{ type: 'text', text: 'Par' }], stopReason: 'max_tokens', usage }, costUsd: 0, latencyMs: 1 };
    given(asNew(recorded(start))).when(cut).then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'failed' } }]);
    const { outcome: _outcome, rubric: _rubric, ...plain } = start;
    given(asNew(recorded(plain))).when(answer(1, 'Done.')).then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded' } }]);
  });

  it('replays: checkHistory rebuilds the grades from outcome.graded', () => {
    const problem = grade(1, { problem: 'no verdict' });
    const log = recorded(start, readCall, granted, readResult, answer(2, 'First try.'), problem, { type: 'ResumeSession', by: 'cli:ann' }, grade(1), answer(3, 'Second.'), pass(2));
    expect(log.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(checkHistory(log)).toMatchObject({ ok: true });
    expect(checkHistory(log)).toMatchObject({ decisions: expect.arrayContaining([expect.objectContaining({ command: 'RecordGrade' })]) });
  });

  it('a fork after a submission asks for the grade again, as the fork', () => {
    const original = recorded(start, readCall, granted, readResult, answer(2, 'First try.'));
    const prefix = forkPrefix(original, original.length);
    if (!prefix) throw new Error('no prefix');
    const fork = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: original.length }, prefix }, initialState());
    expect(fork.effects).toMatchObject([{ type: 'DispatchGrade', job: { sessionId: 'f1', attempt: 1, output: 'First try.' } }]);
    expect(checkHistory(stored(fork.events, 'f1'))).toMatchObject({ ok: true });
  });
});
