import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { fold, initialState } from './state.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';

const looping = { ...agent, budget: { maxSteps: 10 } };
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: looping, tools, input: 'Find the bug', budget: looping.budget };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const readAgain = (step: number): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content: [{ type: 'tool_use', id: `call_${step}`, name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage },
  costUsd: 0,
  latencyMs: 1,
});
const granted = (step: number): SessionCommand => ({ type: 'RecordPermissions', verdicts: [{ callId: `call_${step}`, verdict: { effect: 'allow', reason: 'allowed' } }] });
const read = (step: number): SessionCommand => ({
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId: 's1', callId: `call_${step}`, tool: 'workspace.read', outcome: { status: 'completed', output: 'the same notes' }, durationMs: 2 },
});
const nudge = (extra: Partial<Extract<SessionCommand, { type: 'Intervene' }>> = {}): SessionCommand => ({
  type: 'Intervene',
  detector: 'repetition',
  action: 'nudge',
  reason: 'You have read notes.md three times and it has not changed; try something else.',
  evidence: [4, 9],
  ...extra,
});
/** Two reads of the same file, the second's call waiting for its result. */
const loopingLog = (...after: SessionCommand[]): NewEvent[] =>
  recorded(start, readAgain(1), granted(1), read(1), readAgain(2), granted(2), ...after).map(({ type, data }) => ({ type, data }) as NewEvent);

describe('a supervisor’s intervention (decider version 6)', () => {
  it('nudge: recorded, and the model reads it next, after the results it waits for', () => {
    given(loopingLog()).when(nudge()).then([{ type: 'supervisor.intervened', data: { detector: 'repetition', action: 'nudge', evidence: [4, 9] } }], []);
    const decision = given(loopingLog(nudge())).when(read(2)).decision;
    expect(decision.events.map((event) => event.type)).toEqual(['tool.completed', 'model.requested']);
    const call = decision.effects[0];
    const last = call?.type === 'CallModel' ? call.request.messages.at(-1) : undefined;
    expect(last).toMatchObject({ role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_2' }, { type: 'text', text: 'You have read notes.md three times and it has not changed; try something else.' }] });
    // Read once: the message after that carries it no more.
    const later = given(loopingLog(nudge(), read(2), readAgain(3), granted(3))).when(read(3)).decision.effects[0];
    expect(later?.type === 'CallModel' ? later.request.messages.at(-1)?.content : []).toHaveLength(1);
  });

  it('is recorded once: the same detector from the same first event again (a redelivery, another replica) records nothing', () => {
    given(loopingLog(nudge())).when(nudge({ reason: 'said again' })).then([]);
    given(loopingLog(nudge())).when(nudge({ evidence: [14] })).then([{ type: 'supervisor.intervened' }]);
    given(loopingLog(nudge())).when(nudge({ detector: 'no_progress' })).then([{ type: 'supervisor.intervened' }]);
  });

  it('pause: recorded with the pause, by the detector; results still arrive and are recorded', () => {
    given(loopingLog())
      .when(nudge({ action: 'pause' }))
      .then([{ type: 'supervisor.intervened', data: { action: 'pause' } }, { type: 'session.paused', data: { by: 'supervisor:repetition', reason: expect.stringMatching(/^the supervisor's repetition detector: You have read/) } }]);
    given(loopingLog(nudge({ action: 'pause' }))).when(read(2)).then([{ type: 'tool.completed' }], []);
  });

  it('abort: recorded with the end of the session, aborted, saying which detector and why', () => {
    given(loopingLog())
      .when(nudge({ action: 'abort' }))
      .then([{ type: 'supervisor.intervened' }, { type: 'session.completed', data: { status: 'aborted', reason: expect.stringMatching(/^aborted by the supervisor's repetition detector: /) } }]);
  });

  it('switch_model: the next model call goes to the model named', () => {
    const decision = given(loopingLog(nudge({ action: 'switch_model', model: 'anthropic/claude-opus-4-5' }))).when(read(2)).decision;
    expect(decision.effects[0]).toMatchObject({ type: 'CallModel', model: 'anthropic/claude-opus-4-5' });
    expect(decision.events[1]).toMatchObject({ type: 'model.requested', data: { model: 'anthropic/claude-opus-4-5' } });
  });

  it('is not taken by a session created under an earlier version, nor by a completed one', () => {
    const older = loopingLog().map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: 5 } } : event)) as NewEvent[];
    given(older).when(nudge()).then([]);
    given(loopingLog(nudge({ action: 'abort' }))).when(nudge({ evidence: [20] })).then([]);
  });

  it('survives a fork: a fork taken after a nudge carries it to the model, and the intervention is not taken twice', () => {
    const prefix = loopingLog(nudge());
    const forked = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: prefix.length }, prefix }, initialState());
    const state = fold(stored(forked.events, 'f1'));
    const result = { ...read(2), result: { ...(read(2) as Extract<SessionCommand, { type: 'RecordToolResult' }>).result, sessionId: 'f1' } } as SessionCommand;
    const call = decide(result, state).effects[0];
    expect(call?.type === 'CallModel' ? call.request.messages.at(-1)?.content.at(-1) : undefined).toEqual({ type: 'text', text: 'You have read notes.md three times and it has not changed; try something else.' });
    expect(decide(nudge(), state).events).toEqual([]);
  });

  it('replays through the decider, each intervention with what it did', () => {
    const nudged = recorded(start, readAgain(1), granted(1), read(1), readAgain(2), granted(2), nudge(), read(2));
    expect(checkHistory(nudged)).toMatchObject({ ok: true });
    const paused = recorded(start, readAgain(1), granted(1), nudge({ action: 'pause' }), { type: 'ResumeSession', by: 'ops' }, read(1));
    expect(checkHistory(paused)).toMatchObject({ ok: true });
  });
});
