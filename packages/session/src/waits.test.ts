import { builtInTools, type AgentDefinition, type ModelResponse, type NewEvent, type PermissionVerdict } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { agent, given, recorded, stored } from './spec.ts';
import { fold } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const waiter: AgentDefinition = { ...agent, tools: ['wait.time', 'wait.signal'], budget: { maxSteps: 5, maxWallClockMs: 3_600_000 } };
const tools = builtInTools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
const startedAt = 1_700_000_000_000;
const created = (deciderVersion = 9): NewEvent => ({ type: 'session.created', data: { agent: waiter, input: 'Wait for the deploy', tools, budget: waiter.budget, deciderVersion } });
const requested: NewEvent = { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } };
const call = (tool: string, input: Record<string, unknown>): ModelResponse => ({ model: 'scripted', content: [{ type: 'tool_use', id: 'call_1', name: tool, input }], stopReason: 'tool_use', usage });
const responded = (response: ModelResponse): NewEvent => ({ type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: response.content, stopReason: response.stopReason, usage, costUsd: 0, latencyMs: 1 } });
const allowed: PermissionVerdict = { effect: 'allow', reason: 'the agent lists it' };
const allow: SessionCommand = { type: 'RecordPermissions', verdicts: [{ callId: 'call_1', verdict: allowed }] };
const asked = (tool: string, input: Record<string, unknown>) => [created(), requested, responded(call(tool, input))];
const waiting = (tool: string, input: Record<string, unknown>): NewEvent[] => [
  ...asked(tool, input),
  { type: 'tool.requested', data: { callId: 'call_1', tool, input, idempotencyKey: 's1/call_1' } },
  { type: 'permission.granted', data: { callId: 'call_1', tool, ...allowed, effect: 'allow' } },
];
const signal = (name: string, payload?: string, messageId = 'SBX_INBOX/5'): SessionCommand => ({ type: 'ReceiveSignal', name, by: 'cli:ann', messageId, ...(payload === undefined ? {} : { payload }) });
// spec.ts stores event i at startedAt + i: the reply (event 3) is the latest when the wait starts.
const replyAt = startedAt + 2;

describe('wait.time, a built-in tool', () => {
  it('is not sent to an executor: a durable timer answers it when the wait is over', () => {
    given(asked('wait.time', { seconds: 90 }))
      .when(allow)
      .then([{ type: 'tool.requested', data: { tool: 'wait.time' } }, { type: 'permission.granted' }], [
        { type: 'WakeAt', sessionId: 's1', callId: 'call_1', tool: 'wait.time', at: replyAt + 90_000, outcome: { status: 'completed', output: `waited until ${new Date(replyAt + 90_000).toISOString()}` } },
      ]);
  });

  it('arms its timer again when the session is picked up after a crash, at the same time', () => {
    given(waiting('wait.time', { seconds: 90 })).when({ type: 'Resume' }).then([], [{ type: 'WakeAt', at: replyAt + 90_000 }]);
  });

  it('refuses a wait past the wall-clock budget, input it cannot take, and answers a time already past at once', () => {
    given(asked('wait.time', { seconds: 7_200 })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { error: expect.stringMatching(/after the session's wall-clock budget runs out .* \(maxWallClockMs 3600000\); wait less/) } }, { type: 'model.requested' }]);
    given(asked('wait.time', { seconds: 5, until: '2030-01-01T00:00:00Z' })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { error: expect.stringMatching(/^invalid input for wait.time: .*give either "seconds" or "until"/) } }, { type: 'model.requested' }]);
    given(asked('wait.time', { until: '2001-01-01T00:00:00Z' })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.completed', data: { output: '2001-01-01T00:00:00Z has passed already' } }, { type: 'model.requested' }]);
  });

  it('records the timer result as the call result, and ignores a second firing', () => {
    const woke: SessionCommand = { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'wait.time', outcome: { status: 'completed', output: 'waited' }, durationMs: 90_000 } };
    given(waiting('wait.time', { seconds: 90 })).when(woke).then([{ type: 'tool.completed', data: { output: 'waited' } }, { type: 'model.requested' }]);
    given([...waiting('wait.time', { seconds: 90 }), { type: 'tool.completed', data: { callId: 'call_1', tool: 'wait.time', output: 'waited', durationMs: 1 } }]).when(woke).then([], []);
  });
});

describe('wait.signal, a built-in tool', () => {
  it('waits without a timer, and completes with the payload of the signal it waits for', () => {
    given(asked('wait.signal', { name: 'deployed' })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }], []);
    given(waiting('wait.signal', { name: 'deployed' }))
      .when(signal('deployed', 'v42 is live'))
      .then([{ type: 'signal.received', data: { name: 'deployed', payload: 'v42 is live' } }, { type: 'tool.completed', data: { callId: 'call_1', tool: 'wait.signal', output: 'v42 is live' } }, { type: 'model.requested' }], [{ type: 'CancelWake', callId: 'call_1' }, { type: 'CallModel' }]);
  });

  it('keeps a signal nobody waits for, and the next wait for its name takes it at once (once)', () => {
    given(waiting('wait.signal', { name: 'deployed' })).when(signal('other')).then([{ type: 'signal.received' }], []);
    const early = [created(), requested, { type: 'signal.received', data: { name: 'deployed', payload: 'early', by: 'cli:ann', messageId: 'SBX_INBOX/4' } } as NewEvent, responded(call('wait.signal', { name: 'deployed' }))];
    expect(fold(stored(early))).toMatchObject({ signals: [{ name: 'deployed', payload: 'early' }] });
    const decision = given(early).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.completed', data: { output: 'early' } }, { type: 'model.requested' }]);
    expect(fold(stored([...early, ...decision.events]))).toMatchObject({ signals: [] });
  });

  it('arms a timeout that fails the wait, refused past the wall-clock budget', () => {
    given(asked('wait.signal', { name: 'deployed', timeoutSeconds: 60 })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }], [
      { type: 'WakeAt', at: replyAt + 60_000, outcome: { status: 'failed', error: 'no signal "deployed" came within 60 seconds' } },
    ]);
    given(asked('wait.signal', { name: 'deployed', timeoutSeconds: 7_200 })).when(allow).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed' }, { type: 'model.requested' }]);
  });

  it('records a signal delivered twice once, and none after the session ended or before conversations', () => {
    given([...waiting('wait.signal', { name: 'deployed' }), { type: 'signal.received', data: { name: 'other', by: 'cli:ann', messageId: 'SBX_INBOX/5' } }]).when(signal('deployed')).then([], []);
    const totals = { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    given([created(), requested, { type: 'session.completed', data: { status: 'succeeded', totals } }]).when(signal('deployed')).then([], []);
    given([created(8), requested]).when(signal('deployed')).then([], []);
  });

  it('replays through checkHistory', () => {
    const log = recorded(
      { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: { ...waiter, script: [{ tool: 'wait.signal', input: { name: 'deployed' } }, { final: 'done' }] }, tools, input: 'Wait', budget: waiter.budget },
      { type: 'RecordModelReply', callId: 'm1', response: call('wait.signal', { name: 'deployed' }), costUsd: 0, latencyMs: 1 },
      allow,
      signal('deployed', 'live'),
    );
    expect(log.map((event) => event.type)).toEqual(['session.created', 'model.requested', 'model.responded', 'tool.requested', 'permission.granted', 'signal.received', 'tool.completed', 'model.requested']);
    expect(checkHistory(log)).toMatchObject({ ok: true });
  });
});

describe('an interrupt of a wait', () => {
  it('cancels its timer', () => {
    given(waiting('wait.time', { seconds: 90 }))
      .when({ type: 'Interrupt', by: 'cli:ann', reason: '', interruptId: 'i1' })
      .then([{ type: 'session.interrupted', data: { cancelledCalls: ['call_1'] } }], [{ type: 'StopStep' }, { type: 'CancelWake', callId: 'call_1' }, { type: 'AwaitIdle' }]);
  });
});
