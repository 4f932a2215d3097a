import { defaultApprovalTimeoutMs, type ModelResponse, type NewEvent, type PermissionVerdict, type ToolGrant } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { approvalIdOf } from './approval-id.ts';
import { approvalInputChars } from './approvals.ts';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { fold, initialState } from './state.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const guarded = { ...agent, tools: ['workspace.read', 'workspace.write'], policy: 'staging', budget: { maxSteps: 5 } };
const bothTools = [...tools, { name: 'workspace.write', description: 'Write a file', inputSchema: { type: 'object' } }];
const createdUnder = (deciderVersion: number): NewEvent => ({ type: 'session.created', data: { agent: guarded, input: 'Tidy notes', tools: bothTools, budget: guarded.budget, deciderVersion } });
const created = createdUnder(5);
const modelRequested = (step: number): NewEvent => ({ type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });
const toolUse = (id: string, name: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, id, name, input });
const reply: ModelResponse = {
  model: 'scripted',
  content: [toolUse('call_1', 'workspace.read', { path: 'notes.md' }), toolUse('call_2', 'workspace.write', { path: 'notes.md', text: 'tidy' })],
  stopReason: 'tool_use',
  usage,
};
const replied: SessionCommand = { type: 'RecordModelReply', callId: 'm1', response: reply, costUsd: 0, latencyMs: 1 };
const grantFor = (callId: string, tool: string): ToolGrant => ({
  sessionId: 's1', callId, tool, inputSha256: 'a'.repeat(64), issuedAt: 1, ttlMs: 600_000, policy: 'staging', signer: `U${'A'.repeat(55)}`, signature: 'sig',
});
const allowed = (callId: string, tool: string): PermissionVerdict => ({ effect: 'allow', reason: 'allowed by rule 1 of policy staging v4', policy: 'staging', policyVersion: 4, rule: { index: 0 }, grant: grantFor(callId, tool) });
const held: PermissionVerdict = { effect: 'ask', reason: 'held for approval by rule 2 (people-write) of policy staging v4', policy: 'staging', policyVersion: 4, rule: { index: 1, id: 'people-write' } };
const verdicts = (...pairs: [string, PermissionVerdict][]): SessionCommand => ({ type: 'RecordPermissions', verdicts: pairs.map(([callId, verdict]) => ({ callId, verdict })) });
const checked = verdicts(['call_1', allowed('call_1', 'workspace.read')], ['call_2', held]);
const approvalId = approvalIdOf('s1', 'call_2');
const answer = (approved: boolean, extra: Partial<Extract<SessionCommand, { type: 'RecordApproval' }>> = {}): SessionCommand => ({ type: 'RecordApproval', approvalId, approved, by: 'cli:ops', ...extra });
const readDone: SessionCommand = { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome: { status: 'completed', output: 'notes' }, durationMs: 3 } };

/** The log up to a call held for approval: created, the model asked and answered, the calls checked. */
function heldLog(...after: SessionCommand[]): NewEvent[] {
  return recorded(...commandsTo(...after)).map(({ type, data }) => ({ type, data }) as NewEvent);
}

describe('a call a policy leaves to a person (decider version 5)', () => {
  it('is held for approval, with its id, input, rule and deadline, while the reply’s other call runs', () => {
    const decision = given([created, modelRequested(1), ...recordedReply()])
      .when(checked)
      .then(
        [
          { type: 'tool.requested', data: { callId: 'call_1' } },
          { type: 'permission.granted', data: { callId: 'call_1' } },
          { type: 'tool.requested', data: { callId: 'call_2' } },
          { type: 'approval.requested', data: { approvalId, callId: 'call_2', tool: 'workspace.write', effect: 'ask', reason: held.reason, rule: { index: 1, id: 'people-write' }, input: '{"path":"notes.md","text":"tidy"}' } },
        ],
        [{ type: 'DispatchTool', job: { callId: 'call_1' } }, { type: 'AwaitApproval', sessionId: 's1', approvalId }],
      );
    // The deadline counts from the reply, by the log's clock (the spec's events are 1 ms apart from 1_700_000_000_000).
    expect(decision.events[3]?.data).toMatchObject({ deadline: 1_700_000_000_002 + defaultApprovalTimeoutMs });
  });

  it('waits as long as the asking rule says', () => {
    const decision = given([created, modelRequested(1), ...recordedReply()]).when(verdicts(['call_1', allowed('call_1', 'workspace.read')], ['call_2', { ...held, approvalTimeoutMs: 5_000 }])).decision;
    expect(decision.events[3]?.data).toMatchObject({ deadline: 1_700_000_000_002 + 5_000, approvalTimeoutMs: 5_000 });
  });

  it('is refused as before in a session created under an earlier version', () => {
    given([createdUnder(4), modelRequested(1), ...recordedReply()])
      .when(checked)
      .then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.requested' }, { type: 'permission.denied', data: { effect: 'ask' } }, { type: 'tool.failed', data: { callId: 'call_2' } }]);
  });

  it('shows a person the input with secret references masked, and cut when long', () => {
    const long = { ...reply, content: [toolUse('call_2', 'workspace.write', { header: 'Bearer {{secret:GITHUB_TOKEN}}', text: 'x'.repeat(5_000) })] };
    const decision = given([created, modelRequested(1), ...recordedReply(long)]).when(verdicts(['call_2', held])).decision;
    const requested = decision.events[1];
    const input = requested?.type === 'approval.requested' ? requested.data.input : '';
    expect(input).toContain('"header":"Bearer [secret:GITHUB_TOKEN]"');
    expect(input).toHaveLength(approvalInputChars + ' (5051 characters in all)'.length + 1);
    expect(input).toMatch(/… \(5051 characters in all\)$/);
  });

  it('is neither checked nor dispatched while it waits: picking the session up arms its timer again', () => {
    given(heldLog(readDone)).when({ type: 'Resume' }).then([], [{ type: 'AwaitApproval', approvalId }]);
  });

  it('ignores a verdict that would let it run before anyone approved it', () => {
    given(heldLog()).when(verdicts(['call_2', allowed('call_2', 'workspace.write')])).then([]);
  });

  it('ignores a result for it: it never ran, so a result can only be forged', () => {
    given(heldLog()).when(doneWith('call_2', 'workspace.write')).then([]);
  });
});

describe('an answer to an approval', () => {
  it('approving records who approved, then checks the call again with the approval', () => {
    given(heldLog())
      .when(answer(true, { note: 'looks fine' }))
      .then(
        [{ type: 'approval.resolved', data: { approvalId, callId: 'call_2', tool: 'workspace.write', approved: true, by: 'cli:ops', note: 'looks fine' } }],
        [{ type: 'CloseApproval', approvalId }, { type: 'CheckPermissions', checks: [{ callId: 'call_2', tool: 'workspace.write', approved: { approvalId, by: 'cli:ops' } }] }],
      );
  });

  it('then the broker’s grant is recorded and the call dispatched with it, once', () => {
    const grant = grantFor('call_2', 'workspace.write');
    given(heldLog(answer(true)))
      .when(verdicts(['call_2', { ...allowed('call_2', 'workspace.write'), grant }]))
      .then([{ type: 'permission.granted', data: { callId: 'call_2' } }], [{ type: 'DispatchTool', job: { callId: 'call_2', grant } }]);
    // A second answer changes nothing: the call is no longer held.
    given(heldLog(answer(true))).when(answer(false)).then([]);
  });

  it('an approved call checked again after a crash is checked with its approval', () => {
    given(heldLog(answer(true))).when({ type: 'Resume' }).then([], [{ type: 'DispatchTool', job: { callId: 'call_1' } }, { type: 'CheckPermissions', checks: [{ callId: 'call_2', approved: { approvalId } }] }]);
  });

  it('denying answers the call with who said no and why, and the session goes on once the rest are in', () => {
    given(heldLog(readDone))
      .when(answer(false, { note: 'not today' }))
      .then(
        [
          { type: 'approval.resolved', data: { approved: false, by: 'cli:ops', note: 'not today' } },
          { type: 'tool.failed', data: { callId: 'call_2', error: 'permission denied: not approved by cli:ops: not today', durationMs: 0 } },
          { type: 'model.requested', data: { callId: 'm2' } },
        ],
        [{ type: 'CloseApproval', approvalId }, { type: 'CallModel' }],
      );
  });

  it('no answer by the deadline is a denial by the timer', () => {
    given(heldLog())
      .when(answer(false, { by: 'timeout' }))
      .then([{ type: 'approval.resolved', data: { approved: false, by: 'timeout' } }, { type: 'tool.failed', data: { error: 'permission denied: nobody approved the call by its deadline' } }]);
  });

  it('an answer to an approval the session does not hold records nothing', () => {
    given(heldLog()).when(answer(true, { approvalId: approvalIdOf('s1', 'call_9') })).then([]);
    given(heldLog()).when(answer(true, { approvalId: approvalIdOf('s2', 'call_2') })).then([]);
  });

  it('recorded while paused, checks the call only when the session is resumed', () => {
    const paused: SessionCommand = { type: 'PauseSession', reason: 'lunch', by: 'cli:ops' };
    given(heldLog(paused)).when(answer(true)).then([{ type: 'approval.resolved' }], [{ type: 'CloseApproval' }]);
    given(heldLog(paused, answer(true)))
      .when({ type: 'ResumeSession', by: 'cli:ops' })
      .then([{ type: 'session.resumed' }], [{ type: 'DispatchTool' }, { type: 'CheckPermissions', checks: [{ callId: 'call_2', approved: { approvalId } }] }]);
  });

  it('for the rest of the session answers the tool’s later asks with the same approval', () => {
    const granted = verdicts(['call_2', allowed('call_2', 'workspace.write')]);
    const second: ModelResponse = { ...reply, content: [toolUse('call_3', 'workspace.write', { path: 'b.md', text: 'b' })] };
    const log = heldLog(answer(true, { scope: 'session' }), granted, readDone, doneWith('call_2', 'workspace.write'), { type: 'RecordModelReply', callId: 'm2', response: second, costUsd: 0, latencyMs: 1 });
    expect(log.at(-1)).toMatchObject({ type: 'model.responded' });
    given(log)
      .when({ type: 'Resume' })
      .then([], [{ type: 'CheckPermissions', checks: [{ callId: 'call_3', tool: 'workspace.write', approved: { approvalId, by: 'cli:ops' } }] }]);
  });
});

describe('a fork of a session holding a call for approval', () => {
  it('holds the call under an approval id of its own, answerable in the fork alone', () => {
    const prefix = heldLog();
    const forked = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: prefix.length }, prefix }, initialState());
    const own = approvalIdOf('f1', 'call_2');
    expect(forked.effects).toContainEqual({ type: 'AwaitApproval', sessionId: 'f1', approvalId: own, deadline: expect.any(Number) });
    const state = fold(stored(forked.events, 'f1'));
    expect(decide({ type: 'RecordApproval', approvalId, approved: true, by: 'cli:ops' }, state).events).toEqual([]);
    expect(decide({ type: 'RecordApproval', approvalId: own, approved: true, by: 'cli:ops' }, state).events).toMatchObject([{ type: 'approval.resolved', data: { approvalId: own } }]);
  });

  it('after the approval, checks the call with it: the original’s answer holds in the fork', () => {
    const prefix = heldLog(answer(true));
    const forked = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: prefix.length }, prefix }, initialState());
    const approved = { approvalId: approvalIdOf('f1', 'call_2'), by: 'cli:ops' };
    expect(forked.effects).toContainEqual({ type: 'CheckPermissions', checks: [expect.objectContaining({ callId: 'call_2', approved })] });
  });
});

describe('a recorded session with approvals', () => {
  it('replays through the decider: held, approved, granted, run; and held, denied', () => {
    const grant = grantFor('call_2', 'workspace.write');
    const approved = recorded(...commandsTo(answer(true), verdicts(['call_2', { ...allowed('call_2', 'workspace.write'), grant }]), readDone, doneWith('call_2', 'workspace.write')));
    expect(approved.map((event) => event.type)).toContain('approval.resolved');
    expect(checkHistory(approved)).toMatchObject({ ok: true });
    const denied = recorded(...commandsTo(readDone, answer(false, { by: 'timeout' })));
    expect(checkHistory(denied)).toMatchObject({ ok: true });
  });
});

function recordedReply(response: ModelResponse = reply): NewEvent[] {
  return [{ type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: response.content, stopReason: response.stopReason, usage, costUsd: 0, latencyMs: 1 } }];
}

function doneWith(callId: string, tool: string): SessionCommand {
  return { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId, tool, outcome: { status: 'completed', output: 'ok' }, durationMs: 3 } };
}

function commandsTo(...after: SessionCommand[]): SessionCommand[] {
  return [{ type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: guarded, tools: bothTools, input: 'Tidy notes', budget: guarded.budget }, replied, checked, ...after];
}
