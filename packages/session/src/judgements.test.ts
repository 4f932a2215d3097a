import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { fold } from './state.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';

const budgeted = { ...agent, budget: { maxSteps: 10, maxCostUsd: 0.05 } };
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: budgeted, tools, input: 'Find the bug', budget: budgeted.budget };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const readReply = (step: number): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content: [{ type: 'tool_use', id: `call_${step}`, name: 'workspace.read', input: { path: `notes-${step}.md` } }], stopReason: 'tool_use', usage },
  costUsd: 0.01,
  latencyMs: 1,
});
const granted = (step: number): SessionCommand => ({ type: 'RecordPermissions', verdicts: [{ callId: `call_${step}`, verdict: { effect: 'allow', reason: 'allowed' } }] });
const read = (step: number): SessionCommand => ({
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId: 's1', callId: `call_${step}`, tool: 'workspace.read', outcome: { status: 'completed', output: `notes ${step}` }, durationMs: 2 },
});
const judgement = (extra: Partial<Extract<SessionCommand, { type: 'RecordJudgement' }>> = {}): SessionCommand => ({
  type: 'RecordJudgement',
  model: 'anthropic/claude-haiku-4-5',
  upTo: 6,
  verdict: 'off_track',
  reason: 'It reads notes instead of the code the bug is in.',
  evidence: [3, 6],
  usage: { inputTokens: 2_000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd: 0.03,
  ...extra,
});
const asNew = (commands: SessionCommand[]): NewEvent[] => recorded(...commands).map(({ type, data }) => ({ type, data }) as NewEvent);
/** One read done, the second asked for and waiting for its result. */
const reading = (...after: SessionCommand[]): NewEvent[] => asNew([start, readReply(1), granted(1), read(1), readReply(2), granted(2), ...after]);

describe('a supervisor’s judgement (decider version 7)', () => {
  it('is recorded with its verdict, and its tokens and cost count in the totals, not its steps', () => {
    given(reading())
      .when(judgement())
      .then([{ type: 'supervisor.judged', data: { model: 'anthropic/claude-haiku-4-5', upTo: 6, verdict: 'off_track', evidence: [3, 6], costUsd: 0.03 } }], []);
    const before = fold(stored(reading()));
    const after = fold(stored(reading(judgement())));
    if (before.status === 'new' || after.status === 'new') throw new Error('no session');
    expect(after.totals).toEqual({ ...before.totals, inputTokens: before.totals.inputTokens + 2_000, outputTokens: before.totals.outputTokens + 100, costUsd: before.totals.costUsd + 0.03 });
    expect(after.status).toBe(before.status);
  });

  it('is recorded once per event it judged up to: a redelivered judgement, or a second replica’s, records nothing', () => {
    given(reading(judgement())).when(judgement({ reason: 'sent again', costUsd: 0.5 })).then([]);
    given(reading(judgement())).when(judgement({ upTo: 9, verdict: 'on_track' })).then([{ type: 'supervisor.judged', data: { upTo: 9 } }]);
  });

  it('counts against the budget’s maxCostUsd: the reply after it pauses the session that the judge took over', () => {
    // Two replies at 0.01 and a judge at 0.03 reach 0.05; a third reply passes it.
    const decision = given(reading(judgement(), read(2))).when(readReply(3)).decision;
    expect(decision.events.map((event) => event.type)).toEqual(['model.responded', 'budget.exceeded', 'session.paused']);
    expect(decision.events[1]).toMatchObject({ data: { limit: 'maxCostUsd', allowed: 0.05 } });
    // Without the judge the same run goes on.
    expect(given(reading(read(2))).when(readReply(3)).decision.events.map((event) => event.type)).toEqual(['model.responded']);
  });

  it('is the session’s to the end: its cost is in the completed totals', () => {
    const done: SessionCommand = { type: 'RecordModelReply', callId: 'm3', response: { model: 'scripted', content: [{ type: 'text', text: 'found it' }], stopReason: 'end_turn', usage }, costUsd: 0, latencyMs: 1 };
    const decision = given(reading(judgement(), read(2))).when(done).decision;
    expect(decision.events.at(-1)).toMatchObject({ type: 'session.completed', data: { totals: { steps: 3, costUsd: expect.closeTo(0.05, 10), inputTokens: 2_030 } } });
  });

  it('is not taken by a session created under an earlier version, nor by a completed one', () => {
    const older = reading().map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: 6 } } : event)) as NewEvent[];
    given(older).when(judgement()).then([]);
    given(reading({ type: 'FailSession', reason: 'gone' })).when(judgement()).then([]);
  });

  it('replays through the decider', () => {
    expect(checkHistory(recorded(start, readReply(1), granted(1), read(1), readReply(2), granted(2), judgement(), read(2)))).toMatchObject({ ok: true });
  });
});
