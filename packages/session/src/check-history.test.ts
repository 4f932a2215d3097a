import type { ModelResponse, NewEvent, SessionEvent, ToolResult } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { fold } from './state.ts';
import { agent, recorded, stored, tools } from './spec.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** Sessions before the permission gate (decider version 2); gated ones (version 3) are replayed below. */
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent, tools, input: 'Summarise notes.md', budget: agent.budget, deciderVersion: 2 };
const reply = (callId: string, content: ModelResponse['content'], stopReason: ModelResponse['stopReason'] = 'end_turn'): SessionCommand => ({
  type: 'RecordModelReply',
  callId,
  response: { model: 'scripted', content, stopReason, usage },
  costUsd: 0.001,
  latencyMs: 3,
});
const readCall = reply('m1', [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], 'tool_use');
const toolResult = (outcome: ToolResult['outcome']): SessionCommand => ({
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome, durationMs: 2 },
});
const failure = (callId: string, retryable: boolean): SessionCommand => ({ type: 'RecordModelFailure', callId, code: retryable ? 'overloaded' : 'authentication', message: 'no', retryable });

/** given(log).whenChecked() → the check's verdict, for then-assertions. */
const given = (events: SessionEvent[]) => ({ whenChecked: () => checkHistory(events) });

function tampered(events: SessionEvent[], n: number, change: (event: SessionEvent) => SessionEvent): SessionEvent[] {
  return events.map((event) => (event.n === n ? change(event) : event));
}

describe('checkHistory', () => {
  const toolSession = recorded(start, readCall, toolResult({ status: 'completed', output: 'notes' }), reply('m2', [{ type: 'text', text: 'done' }]));

  it('replays a whole session through the current decider, decision by decision', () => {
    const check = given(toolSession).whenChecked();
    expect(check).toEqual({
      ok: true,
      decisions: [
        { n: 1, command: 'StartSession', events: 2 },
        { n: 3, command: 'RecordModelReply', events: 2 },
        { n: 5, command: 'RecordToolResult', events: 2 },
        { n: 7, command: 'RecordModelReply', events: 2 },
      ],
    });
  });

  it('replays failed tools, retried and fatal model failures, and budget ends', () => {
    expect(given(recorded(start, readCall, toolResult({ status: 'failed', error: 'ENOENT' }))).whenChecked().ok).toBe(true);
    expect(given(recorded(start, readCall, toolResult({ status: 'unknown', reason: 'cut off' }))).whenChecked().ok).toBe(true);
    expect(given(recorded(start, failure('m1', true), failure('m1', false))).whenChecked()).toMatchObject({
      ok: true,
      decisions: [{ command: 'StartSession' }, { command: 'RecordModelFailure', events: 2 }, { command: 'RecordModelFailure', events: 2 }],
    });
    const loop = reply('m1', [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }], 'tool_use');
    const twice = (step: number) => ({ ...loop, callId: `m${step}` });
    const steps = [loop, toolResult({ status: 'completed', output: 'a' }), twice(2), toolResult({ status: 'completed', output: 'a' }), twice(3), toolResult({ status: 'completed', output: 'a' })];
    const overBudget = recorded({ ...start, deciderVersion: 1 }, ...steps);
    expect(overBudget.slice(-2).map((event) => event.type)).toEqual(['budget.exceeded', 'session.completed']);
    expect(given(overBudget).whenChecked().ok).toBe(true);
  });

  it('replays pauses and resumes: asked for, by a spent budget, and a resume that raises the budget', () => {
    const loop = reply('m1', [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }], 'tool_use');
    const log = recorded(
      start,
      { type: 'PauseSession', reason: 'look first', by: 'cli:ann' },
      loop,
      { type: 'ResumeSession', by: 'cli:ann' },
      toolResult({ status: 'completed', output: 'a' }),
      reply('m2', [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }], 'tool_use'),
      toolResult({ status: 'completed', output: 'a' }),
      reply('m3', [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }], 'tool_use'),
      toolResult({ status: 'completed', output: 'a' }),
      { type: 'ResumeSession', by: 'cli:ann', budget: { maxSteps: 4 } },
      reply('m4', [{ type: 'text', text: 'done' }]),
    );
    const types = log.map((event) => event.type);
    expect(types).toContain('session.paused');
    expect(types.filter((type) => type === 'session.resumed')).toHaveLength(2);
    expect(log.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(given(log).whenChecked()).toMatchObject({
      ok: true,
      decisions: expect.arrayContaining([{ n: 3, command: 'PauseSession', events: 1 }, expect.objectContaining({ command: 'ResumeSession' })]),
    });
  });

  it('replays a session the shell failed, and skips events the decider does not write', () => {
    const failed = recorded(start, { type: 'FailSession', reason: 'a command could not be applied' });
    expect(given(failed).whenChecked()).toMatchObject({ ok: true, decisions: [{ command: 'StartSession' }, { n: 3, command: 'FailSession' }] });
    const remembered = stored([...toolSession.slice(0, 2), { type: 'memory.loaded', data: { entries: [{ key: 'k', text: 'a note from an earlier run' }] } }]);
    expect(given(remembered).whenChecked().ok).toBe(true);
  });

  it('accepts a log that ends inside a decision, and the resumed rest of one cut off', () => {
    expect(given(toolSession.slice(0, 3)).whenChecked().ok).toBe(true);
    // Cut off after model.responded; the Resume after the crash wrote tool.requested.
    expect(given(toolSession.slice(0, 4)).whenChecked()).toMatchObject({ ok: true });
  });

  it('replays a fork: its copied prefix, then what the fork decided after it', () => {
    const prefix = toolSession.slice(0, 5).map(({ type, data }) => ({ type, data }) as NewEvent);
    const fork: SessionCommand = { type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: 5 }, prefix, agent: { system: 'Be thorough.' } };
    const forked = stored(decide(fork, fold([])).events, 'f1');
    expect(forked.map((event) => event.type).slice(-2)).toEqual(['tool.completed', 'model.requested']);
    expect(given(forked).whenChecked()).toMatchObject({ ok: true, decisions: [{ n: 1, command: 'ForkSession', events: 6 }] });
    const tamperedFork = tampered(forked, 6, (event) => ({ ...event, data: { ...event.data, digest: 'f00d' } }) as SessionEvent);
    expect(given(tamperedFork).whenChecked()).toMatchObject({ ok: false, n: 6 });
  });

  it('finds a changed model request by its digest', () => {
    const changed = tampered(toolSession, 6, (event) => ({ ...event, data: { ...event.data, digest: 'f00d' } }) as SessionEvent);
    expect(given(changed).whenChecked()).toMatchObject({
      ok: false,
      n: 6,
      expected: { type: 'model.requested', data: { digest: 'f00d' } },
      actual: { type: 'model.requested' },
      reason: expect.stringContaining('model request is rebuilt differently'),
    });
  });

  it('finds a tool call the decider would request differently', () => {
    const changed = tampered(toolSession, 4, (event) => ({ ...event, data: { ...event.data, input: { path: 'other.md' } } }) as SessionEvent);
    expect(given(changed).whenChecked()).toMatchObject({ ok: false, n: 4, reason: 'tool.requested differs in input' });
  });

  it('finds an event of another type where the decider now writes something else', () => {
    const events = recorded(start, readCall);
    const changed = tampered(events, 4, (event) => ({ ...event, type: 'session.completed', data: { status: 'succeeded', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } }));
    expect(given(changed).whenChecked()).toMatchObject({ ok: false, n: 4, actual: { type: 'tool.requested' }, reason: 'the decider now records tool.requested where the log has session.completed' });
  });

  it('finds an event the decider would not write at all', () => {
    // A second model.requested while the first is unanswered: no command leads there.
    const events = [...toolSession.slice(0, 2), { ...(toolSession[1] as SessionEvent), n: 3 }];
    expect(given(events).whenChecked()).toMatchObject({ ok: false, n: 3, actual: null, reason: expect.stringContaining('records nothing for Resume') });
  });

  describe('a session whose calls the permission broker checks (decider version 3)', () => {
    const gatedStart: SessionCommand = { ...start, deciderVersion: 3 };
    const verdicts = (effect: 'allow' | 'deny'): SessionCommand => ({
      type: 'RecordPermissions',
      verdicts: [{ callId: 'call_1', verdict: { effect, reason: `${effect} by rule 1 of policy staging v2`, policy: 'staging', policyVersion: 2, rule: { index: 0 } } }],
    });

    it('replays the verdicts recorded with the calls, granted and denied', () => {
      const granted = recorded(gatedStart, readCall, verdicts('allow'), toolResult({ status: 'completed', output: 'notes' }), reply('m2', [{ type: 'text', text: 'done' }]));
      expect(granted.map((event) => event.type).slice(3, 5)).toEqual(['tool.requested', 'permission.granted']);
      expect(given(granted).whenChecked()).toMatchObject({ ok: true, decisions: [{ command: 'StartSession' }, { command: 'RecordModelReply', events: 1 }, { n: 4, command: 'RecordPermissions', events: 2 }, { command: 'RecordToolResult' }, { command: 'RecordModelReply' }] });
      const denied = recorded(gatedStart, readCall, verdicts('deny'));
      expect(denied.map((event) => event.type).slice(3)).toEqual(['tool.requested', 'permission.denied', 'tool.failed', 'model.requested']);
      expect(given(denied).whenChecked()).toMatchObject({ ok: true, decisions: [{}, {}, { n: 4, command: 'RecordPermissions', events: 4 }] });
    });

    it('replays the check before a re-dispatch; a verdict is replayed as recorded (an answer from outside, like a reply), the refusal it leads to is checked', () => {
      const paused = recorded(gatedStart, readCall, verdicts('allow'), { type: 'PauseSession', reason: 'look', by: 'ann' }, { type: 'ResumeSession', by: 'ann' }, verdicts('deny'));
      expect(paused.map((event) => event.type).slice(5)).toEqual(['session.paused', 'session.resumed', 'permission.denied', 'tool.failed', 'model.requested']);
      expect(given(paused).whenChecked()).toMatchObject({ ok: true, decisions: expect.arrayContaining([{ n: 8, command: 'RecordPermissions', events: 3 }]) });
      const changed = tampered(paused, 8, (event) => ({ ...event, data: { ...event.data, policyVersion: 3 } }) as SessionEvent);
      expect(given(changed).whenChecked()).toMatchObject({ ok: true });
      const unmatched = tampered(paused, 9, (event) => ({ ...event, data: { ...event.data, error: 'permission denied: something else' } }) as SessionEvent);
      expect(given(unmatched).whenChecked()).toMatchObject({ ok: false, n: 9, reason: 'tool.failed differs in error' });
    });
  });
});
