import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { agent, given, recorded, tools } from './spec.ts';

const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent, tools, input: 'Read the notes', budget: { maxSteps: 10 } };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const reply: SessionCommand = {
  type: 'RecordModelReply',
  callId: 'm1',
  response: { model: 'scripted', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage },
  costUsd: 0,
  latencyMs: 1,
};
const granted: SessionCommand = { type: 'RecordPermissions', verdicts: [{ callId: 'call_1', verdict: { effect: 'allow', reason: 'allowed' } }] };
const stalled = (whileHeadIs: number, extra: Partial<Extract<SessionCommand, { type: 'Intervene' }>> = {}): SessionCommand => ({
  type: 'Intervene',
  detector: 'stalled',
  action: 'redrive',
  reason: 'nothing recorded for 600000 ms',
  evidence: [whileHeadIs],
  whileHeadIs,
  ...extra,
});
const logOf = (...commands: SessionCommand[]): NewEvent[] => recorded(...commands).map(({ type, data }) => ({ type, data }) as NewEvent);
/** created, model.requested, model.responded, tool.requested, permission.granted: waiting on call_1 (head 5). */
const waitingOnTool = (...after: SessionCommand[]) => logOf(start, reply, granted, ...after);
const withVersion = (log: NewEvent[], deciderVersion: number) =>
  log.map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion } } : event)) as NewEvent[];

describe('a stalled session (decider version 7)', () => {
  it('redrive: recorded, and the call it waits on dispatched again with its idempotency key', () => {
    given(waitingOnTool())
      .when(stalled(5))
      .then([{ type: 'supervisor.intervened', data: { detector: 'stalled', action: 'redrive', evidence: [5] } }], [{ type: 'DispatchTool' }]);
    const { decision } = given(waitingOnTool()).when(stalled(5));
    expect(decision.effects[0]).toMatchObject({ job: { callId: 'call_1', idempotencyKey: 's1/call_1' } });
    expect(decision.effects[0]).not.toHaveProperty('job.firstDispatch');
  });

  it('redrive of a session waiting on its model: the model is called again', () => {
    given(logOf(start)).when(stalled(2)).then([{ type: 'supervisor.intervened' }], [{ type: 'CallModel', callId: 'm1', attempt: 1 }]);
  });

  it('bound to a head the log has moved past: nothing, whatever the action (the session was not stalled)', () => {
    given(waitingOnTool()).when(stalled(4)).then([]);
    given(waitingOnTool()).when(stalled(4, { action: 'pause' })).then([]);
    given(waitingOnTool()).when(stalled(5, { action: 'pause' })).then([{ type: 'supervisor.intervened' }, { type: 'session.paused', data: { by: 'supervisor:stalled' } }]);
  });

  it('a paused session is not re-driven: it waits for its resume', () => {
    const paused = waitingOnTool({ type: 'PauseSession', reason: 'lunch', by: 'ops' });
    given(paused).when(stalled(6)).then([]);
  });

  it('is re-driven once per head: the same firing again records nothing', () => {
    given(waitingOnTool(stalled(5))).when(stalled(5)).then([]);
    given(waitingOnTool(stalled(5))).when(stalled(6, { action: 'pause', evidence: [6, 5] })).then([{ type: 'supervisor.intervened', data: { action: 'pause', evidence: [6, 5] } }, { type: 'session.paused' }]);
  });

  it('under version 6: a redrive does nothing, and a head binding is ignored as before', () => {
    given(withVersion(waitingOnTool(), 6)).when(stalled(5)).then([]);
    given(withVersion(waitingOnTool(), 6)).when(stalled(4, { action: 'nudge' })).then([{ type: 'supervisor.intervened', data: { action: 'nudge' } }]);
  });

  it('replays through the decider', () => {
    expect(checkHistory(recorded(start, reply, granted, stalled(5), stalled(6, { action: 'pause', evidence: [6, 5] })))).toMatchObject({ ok: true });
  });
});
