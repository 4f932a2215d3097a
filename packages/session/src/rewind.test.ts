import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { forkPrefix } from './fork.ts';
import { rewindAt, rewindForkId, rewindPoint, rewindRefusal } from './rewind.ts';
import { fold } from './state.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';

const looping = { ...agent, budget: { maxSteps: 10 } };
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: looping, tools, input: 'Find the bug', budget: looping.budget };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const reply = (step: number, content: Extract<SessionCommand, { type: 'RecordModelReply' }>['response']['content']): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content, stopReason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn', usage },
  costUsd: 0,
  latencyMs: 1,
});
const readAgain = (step: number) => reply(step, [{ type: 'tool_use', id: `call_${step}`, name: 'workspace.read', input: { path: 'notes.md' } }]);
const granted = (step: number): SessionCommand => ({ type: 'RecordPermissions', verdicts: [{ callId: `call_${step}`, verdict: { effect: 'allow', reason: 'allowed' } }] });
const read = (step: number, sessionId = 's1'): SessionCommand => ({
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId, callId: `call_${step}`, tool: 'workspace.read', outcome: { status: 'completed', output: 'the same notes' }, durationMs: 2 },
});

/**
 * 1 created · 2-6 turn 1 (6: its result, a user message) · 7-11 turn 2 · 12-15 turn 3, its call
 * waiting: the same read three times, the repetition detector's evidence 4, 9, 14.
 */
const loop = recorded(start, readAgain(1), granted(1), read(1), readAgain(2), granted(2), read(2), readAgain(3), granted(3));
const asNew = (events: readonly { type: string; data: unknown }[]) => events.map(({ type, data }) => ({ type, data }) as NewEvent);
const hint = 'You read notes.md again and again; it does not change. Look at the failing test instead.';

type Intervene = Extract<SessionCommand, { type: 'Intervene' }>;
const rewindTo = (at: number, extra: Partial<Intervene> = {}, log = loop): Intervene => ({
  type: 'Intervene',
  detector: 'repetition',
  action: 'rewind',
  reason: hint,
  evidence: [9, 14],
  rewind: { at, log: log.filter((event) => event.n <= at) },
  ...extra,
});

describe('a supervisor’s rewind (decider version 7)', () => {
  it('forks just before the model turn the pattern began in, with the hint, and ends the session aborted, naming the fork', () => {
    expect(rewindAt([9, 14])).toBe(8);
    given(asNew(loop))
      .when(rewindTo(rewindAt([9, 14])))
      .then(
        [
          { type: 'supervisor.intervened', data: { detector: 'repetition', action: 'rewind', reason: hint, evidence: [9, 14], at: 6, fork: 's1-rewind-9' } },
          { type: 'session.completed', data: { status: 'aborted', rewoundTo: 's1-rewind-9', reason: `rewound by the supervisor's repetition detector to event 6, going on as s1-rewind-9: ${hint}` } },
        ],
        [{ type: 'StartFork', sessionId: 's1-rewind-9', from: { sessionId: 's1', n: 6, hint } }],
      );
  });

  it('the fork starts from the original’s events 1..at, and its next model request carries the hint after the results', () => {
    const prefix = forkPrefix(loop, 6) ?? [];
    const fork: SessionCommand = { type: 'ForkSession', sessionId: 's1-rewind-9', correlationId: 's1-rewind-9', from: { sessionId: 's1', n: 6, hint }, prefix };
    const decision = given([]).when(fork).then([...prefix.map(({ type }) => ({ type })), { type: 'model.requested', data: { callId: 'm2' } }]);
    expect(decision.events[0]).toMatchObject({ type: 'session.created', data: { forkedFrom: { sessionId: 's1', n: 6, hint } } });
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' ? call.request.messages.at(-1) : undefined).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'the same notes', isError: false }, { type: 'text', text: hint }],
    });
    // Read once: the turn after carries its own results only.
    const forkLog = recordedAs('s1-rewind-9', fork, readAgain(2), granted(2));
    const later = decide(read(2, 's1-rewind-9'), fold(forkLog)).effects[0];
    expect(later?.type === 'CallModel' ? later.request.messages.at(-1)?.content : []).toHaveLength(1);
  });

  it('a rewind to the first event forks with the hint after the task', () => {
    given(asNew(loop)).when(rewindTo(3, { evidence: [4] })).then([{ type: 'supervisor.intervened', data: { at: 1, fork: 's1-rewind-4' } }, { type: 'session.completed' }]);
    const fork: SessionCommand = { type: 'ForkSession', sessionId: 's1-rewind-4', correlationId: 's1-rewind-4', from: { sessionId: 's1', n: 1, hint }, prefix: forkPrefix(loop, 1) ?? [] };
    const call = given([]).when(fork).decision.effects[0];
    expect(call?.type === 'CallModel' ? call.request.messages : []).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Find the bug' }, { type: 'text', text: hint }] }]);
  });

  it('a point in the middle of a turn (a reply, its calls, their results) goes back to where that turn began', () => {
    for (const at of [7, 8, 9, 10]) expect(rewindPoint(loop, at)).toBe(6);
    expect(rewindPoint(loop, 11)).toBe(11);
    expect(rewindPoint(loop, 5)).toBe(1);
    // A reply of two calls, one answered: not a point (its user message waits for the other result).
    const both = reply(2, [
      { type: 'tool_use', id: 'call_a', name: 'workspace.read', input: { path: 'a.md' } },
      { type: 'tool_use', id: 'call_b', name: 'workspace.read', input: { path: 'b.md' } },
    ]);
    const bothGranted: SessionCommand = { type: 'RecordPermissions', verdicts: ['call_a', 'call_b'].map((callId) => ({ callId, verdict: { effect: 'allow', reason: 'allowed' } })) };
    const answer = (callId: string): SessionCommand => ({ type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId, tool: 'workspace.read', outcome: { status: 'completed', output: callId }, durationMs: 1 } });
    const parallel = recorded(start, readAgain(1), granted(1), read(1), both, bothGranted, answer('call_a'), answer('call_b'));
    const [firstAnswer, secondAnswer] = parallel.filter((event) => event.type === 'tool.completed').slice(1).map((event) => event.n);
    expect(rewindPoint(parallel, firstAnswer ?? 0)).toBe(6);
    expect(rewindPoint(parallel, secondAnswer ?? 0)).toBe(secondAnswer);
  });

  it('a redelivered rewind records nothing and asks for the same fork again: a crash between the append and the fork’s request loses no fork', () => {
    const rewound = asNew(recorded(...asCommands(), rewindTo(8)));
    expect(rewound.at(-1)).toMatchObject({ type: 'session.completed', data: { rewoundTo: 's1-rewind-9' } });
    given(rewound)
      .when(rewindTo(8))
      .then([], [{ type: 'StartFork', sessionId: 's1-rewind-9', from: { sessionId: 's1', n: 6, hint } }]);
    // Another detector's rewind, or another action, on the session that ended: nothing.
    given(rewound).when(rewindTo(8, { detector: 'no_progress' })).then([], []);
    given(rewound).when(rewindTo(8, { evidence: [4] })).then([], []);
    given(rewound).when({ type: 'Intervene', detector: 'repetition', action: 'abort', reason: 'stop', evidence: [9] }).then([], []);
  });

  it('refuses, recording nothing and saying why: an event beyond the head, event 0, a log that does not reach it', () => {
    const state = fold(loop);
    for (const [command, why] of [
      [rewindTo(99), 'cannot rewind session s1 to event 99: its events are 1-15; it is unchanged'],
      [rewindTo(0), 'cannot rewind session s1 to event 0: its events are 1-15; it is unchanged'],
      [rewindTo(8, { rewind: { at: 8, log: loop.slice(0, 3) } }), 'cannot rewind session s1 to event 8: its events are 1-15; it is unchanged'],
      [rewindTo(8, { rewind: undefined }), 'a rewind of session s1 names no event to rewind to; it is unchanged'],
    ] as const) {
      given(asNew(loop)).when(command).then([], []);
      expect(state.status !== 'new' && rewindRefusal(state, command)).toBe(why);
    }
  });

  it('refuses a paused session (whoever resumes it decides) and a completed one', () => {
    const paused = recorded(...asCommands(), { type: 'PauseSession', reason: 'look', by: 'cli:ana' });
    given(asNew(paused)).when(rewindTo(8)).then([], []);
    const pausedState = fold(paused);
    expect(pausedState.status !== 'new' && rewindRefusal(pausedState, rewindTo(8))).toMatch(/^session s1 is paused \(by cli:ana\)/);
    const finished = recorded(start, reply(1, [{ type: 'text', text: 'done' }]));
    given(asNew(finished)).when(rewindTo(1, { evidence: [3] }, finished)).then([], []);
    const finishedState = fold(finished);
    expect(finishedState.status !== 'new' && rewindRefusal(finishedState, rewindTo(1, { evidence: [3] }, finished))).toBe('session s1 has completed (succeeded): there is nothing to rewind');
  });

  it('rewinds a fork (a rewind’s included): its fork is named after it', () => {
    const fork: SessionCommand = { type: 'ForkSession', sessionId: 's1-rewind-9', correlationId: 's1-rewind-9', from: { sessionId: 's1', n: 6, hint }, prefix: forkPrefix(loop, 6) ?? [] };
    const forkLog = recordedAs('s1-rewind-9', fork, readAgain(2), granted(2), read(2, 's1-rewind-9'), readAgain(3), granted(3));
    const decision = decide(rewindTo(12, { evidence: [13] }, forkLog), fold(forkLog));
    expect(decision.events).toMatchObject([{ type: 'supervisor.intervened', data: { at: 11, fork: 's1-rewind-9-rewind-13' } }, { type: 'session.completed', data: { status: 'aborted' } }]);
    expect(decision.effects).toEqual([{ type: 'StartFork', sessionId: 's1-rewind-9-rewind-13', from: { sessionId: 's1-rewind-9', n: 11, hint } }]);
  });

  it('a session created under decider version 6 is left as it was, as for any action it cannot do', () => {
    const older = asNew(loop).map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: 6 } } : event)) as NewEvent[];
    given(older).when(rewindTo(8)).then([], []);
    const state = fold(stored(older));
    expect(state.status !== 'new' && rewindRefusal(state, rewindTo(8))).toBe('session s1 was created under decider version 6, which cannot rewind (7 on can); it is unchanged');
    // The same session still takes a nudge as before.
    given(older).when(rewindTo(8, { action: 'nudge', rewind: undefined })).then([{ type: 'supervisor.intervened', data: { action: 'nudge' } }]);
  });

  it('replays: the rewound session and its fork pass `replay --check`', () => {
    const rewound = recorded(...asCommands(), rewindTo(8));
    expect(checkHistory(rewound)).toMatchObject({ ok: true });
    const fork: SessionCommand = { type: 'ForkSession', sessionId: 's1-rewind-9', correlationId: 's1-rewind-9', from: { sessionId: 's1', n: 6, hint }, prefix: forkPrefix(rewound, 6) ?? [] };
    expect(checkHistory(recordedAs('s1-rewind-9', fork, readAgain(2), granted(2), read(2, 's1-rewind-9')))).toMatchObject({ ok: true });
  });

  it('names a fork with a valid session id however long the original’s, the same each time, and apart for different ids', () => {
    const long = 'a'.repeat(128);
    const id = rewindForkId(long, 12345);
    expect(id).toHaveLength(128);
    expect(id).toMatch(/^[A-Za-z0-9_-]+-rewind-12345$/);
    expect(rewindForkId(long, 12345)).toBe(id);
    expect(rewindForkId(`${'a'.repeat(127)}b`, 12345)).not.toBe(id);
  });
});

/** `recorded`, for a session of another id (a fork). */
function recordedAs(sessionId: string, ...commands: SessionCommand[]) {
  const events: NewEvent[] = [];
  for (const command of commands) events.push(...decide(command, fold(stored(events, sessionId))).events);
  return stored(events, sessionId);
}

/** The commands that made `loop`, to record more after them. */
function asCommands(): SessionCommand[] {
  return [start, readAgain(1), granted(1), read(1), readAgain(2), granted(2), read(2), readAgain(3), granted(3)];
}
