import { decodeEvent, encode, type NewEvent, type SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { deciderVersion } from './decider-version.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { fold, initialState } from './state.ts';

const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent, tools, input: 'Summarise notes.md', budget: agent.budget };
const reply: SessionCommand = {
  type: 'RecordModelReply',
  callId: 'm1',
  response: { model: 'scripted', content: [{ type: 'text', text: 'done' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 } },
  costUsd: 0,
  latencyMs: 1,
};

/** `created` as a writer stored it before decider versions (session.created v1), read back through the codec. */
function createdBeforeVersions(created: SessionEvent): SessionEvent {
  if (created.type !== 'session.created') throw new Error('not a session.created');
  const { deciderVersion: _version, ...data } = created.data;
  return decodeEvent(encode({ ...created, v: 1, data }));
}

describe('decider versions', () => {
  it("records the running code's version in a new session, and keeps it in the state", () => {
    const decision = given([]).when(start).then([{ type: 'session.created', data: { deciderVersion } }, { type: 'model.requested' }]);
    expect(fold(stored(decision.events))).toMatchObject({ deciderVersion });
  });

  it('decides a session created under version 1 as version 1, also one created before versions were recorded', () => {
    const log = recorded({ ...start, deciderVersion: 1 }, reply);
    expect(log[0]).toMatchObject({ data: { deciderVersion: 1 } });
    const old = [createdBeforeVersions(log[0] as SessionEvent), ...log.slice(1)];
    expect(fold(old)).toMatchObject({ deciderVersion: 1, status: 'completed' });
    expect(checkHistory(old)).toMatchObject({ ok: true, decisions: [{ command: 'StartSession' }, { command: 'RecordModelReply' }] });
  });

  it("is a new session's when forking: the fork records the running code's version, not its original's", () => {
    const original = recorded(start).map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: deciderVersion + 1 } } : event));
    const prefix = original.map(({ type, data }) => ({ type, data }) as NewEvent);
    const fork = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: 2 }, prefix }, initialState());
    expect(fork.events[0]).toMatchObject({ type: 'session.created', data: { deciderVersion } });
    // Replay decides the fork under the version it recorded.
    expect(checkHistory(stored(fork.events, 'f1'))).toMatchObject({ ok: true });
  });

  it('reports a session created under a later version than this code decides', () => {
    const log = recorded(start, reply).map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: deciderVersion + 1 } } : event));
    expect(checkHistory(log)).toMatchObject({ ok: false, n: 1, actual: null, reason: expect.stringContaining(`decider version ${deciderVersion + 1}`) });
  });
});
