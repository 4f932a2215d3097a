import type { ModelResponse, NewEvent, PermissionVerdict, Policy, ToolGrant } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import type { SessionCommand } from './decide.ts';
import { agent, given, tools } from './spec.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const taskPolicy: Policy = { name: 'this-task', rules: [{ effect: 'deny', tool: 'workspace.write' }], default: 'allow' };
const guarded = { ...agent, tools: ['workspace.read', 'workspace.write'], policy: 'staging' };
const bothTools = [...tools, { name: 'workspace.write', description: 'Write a file', inputSchema: { type: 'object' } }];
const createdUnder = (deciderVersion: number, extra: Record<string, unknown> = {}): NewEvent => ({
  type: 'session.created',
  data: { agent: guarded, input: 'Summarise notes.md', tools: bothTools, budget: agent.budget, deciderVersion, ...extra },
});
const created = createdUnder(3);
const requested = (step: number): NewEvent => ({ type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });
const toolUse = (id: string, name: string, input: Record<string, unknown> = { path: 'notes.md' }) => ({ type: 'tool_use' as const, id, name, input });
const replyWith = (...calls: ReturnType<typeof toolUse>[]): ModelResponse => ({ model: 'scripted', content: calls, stopReason: 'tool_use', usage });
const responded = (response: ModelResponse): NewEvent => ({
  type: 'model.responded',
  data: { callId: 'm1', model: 'scripted', content: response.content, stopReason: response.stopReason, usage, costUsd: 0, latencyMs: 1 },
});
const readReply = replyWith(toolUse('call_1', 'workspace.read'));
const readRequested: NewEvent = { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: 's1/call_1' } };
const grant: ToolGrant = {
  sessionId: 's1', callId: 'call_1', tool: 'workspace.read', inputSha256: 'a'.repeat(64), issuedAt: 1, ttlMs: 600_000, policy: 'staging', signer: `U${'A'.repeat(55)}`, signature: 'sig',
};
const allowed: PermissionVerdict = { effect: 'allow', reason: 'allowed by rule 1 of policy staging v4', policy: 'staging', policyVersion: 4, rule: { index: 0 }, grant };
const denied: PermissionVerdict = { effect: 'deny', reason: 'denied by rule 2 (no-prod) of policy staging v4: production is off limits', policy: 'staging', policyVersion: 4, rule: { index: 1, id: 'no-prod' } };
const held: PermissionVerdict = { effect: 'ask', reason: 'held for approval by rule 3 of policy staging v4', policy: 'staging', policyVersion: 4, rule: { index: 2 } };
const verdicts = (...pairs: [string, PermissionVerdict][]): SessionCommand => ({ type: 'RecordPermissions', verdicts: pairs.map(([callId, verdict]) => ({ callId, verdict })) });
const replyCommand = (response: ModelResponse): SessionCommand => ({ type: 'RecordModelReply', callId: 'm1', response, costUsd: 0, latencyMs: 1 });

describe('tool calls of a gated session (decider version 3)', () => {
  it('asks the broker about each call of a reply before requesting any, with the agent and the task policy', () => {
    given([createdUnder(3, { taskPolicy }), requested(1)])
      .when(replyCommand(readReply))
      .then([{ type: 'model.responded' }], [
        {
          type: 'CheckPermissions',
          checks: [{ sessionId: 's1', callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, agent: { name: 'helper', tools: guarded.tools, policy: 'staging' }, taskPolicy }],
        },
      ]);
  });

  it('requests a granted call with its verdict in one decision, and dispatches it with the grant', () => {
    given([created, requested(1), responded(readReply)])
      .when(verdicts(['call_1', allowed]))
      .then(
        [{ type: 'tool.requested', data: { callId: 'call_1' } }, { type: 'permission.granted', data: { callId: 'call_1', tool: 'workspace.read', effect: 'allow', policy: 'staging', policyVersion: 4, rule: { index: 0 }, grant } }],
        [{ type: 'DispatchTool', job: { callId: 'call_1', firstDispatch: true, grant } }],
      );
  });

  it('answers a denied call at once with the rule and policy that denied it, and goes on to the model', () => {
    given([created, requested(1), responded(readReply)])
      .when(verdicts(['call_1', denied]))
      .then(
        [
          { type: 'tool.requested' },
          { type: 'permission.denied', data: { callId: 'call_1', effect: 'deny', reason: denied.reason, rule: { index: 1, id: 'no-prod' } } },
          { type: 'tool.failed', data: { callId: 'call_1', error: `permission denied: ${denied.reason}`, durationMs: 0 } },
          { type: 'model.requested', data: { callId: 'm2' } },
        ],
        [{ type: 'CallModel', callId: 'm2' }],
      );
  });

  it('refuses a call held for approval, saying approvals are not available', () => {
    given([created, requested(1), responded(readReply)])
      .when(verdicts(['call_1', held]))
      .then([{ type: 'tool.requested' }, { type: 'permission.denied', data: { effect: 'ask' } }, { type: 'tool.failed', data: { error: `permission denied: ${held.reason}; approvals are not available, so the call is refused` } }, { type: 'model.requested' }]);
  });

  it('records every request and verdict before any refusal, and dispatches only the granted call', () => {
    const reply = replyWith(toolUse('call_1', 'workspace.read'), toolUse('call_2', 'workspace.write'), toolUse('call_3', 'shell.run'));
    given([created, requested(1), responded(reply)])
      .when(verdicts(['call_1', allowed], ['call_2', denied]))
      .then(
        [
          { type: 'tool.requested', data: { callId: 'call_1' } },
          { type: 'permission.granted', data: { callId: 'call_1' } },
          { type: 'tool.requested', data: { callId: 'call_2' } },
          { type: 'permission.denied', data: { callId: 'call_2' } },
          { type: 'tool.requested', data: { callId: 'call_3' } },
          { type: 'tool.failed', data: { callId: 'call_2' } },
          { type: 'tool.failed', data: { callId: 'call_3', error: expect.stringContaining('unknown tool "shell.run"') } },
        ],
        [{ type: 'DispatchTool', job: { callId: 'call_1' } }],
      );
  });

  it('asks nothing when no call is of a tool the session has, and answers them as unknown', () => {
    given([created, requested(1)])
      .when(replyCommand(replyWith(toolUse('call_9', 'shell.run'))))
      .then([{ type: 'model.responded' }, { type: 'tool.requested' }, { type: 'tool.failed', data: { error: expect.stringContaining('unknown tool') } }, { type: 'model.requested' }]);
  });

  it('records nothing for verdicts missing a call, for another reply, or for a session not deciding its calls', () => {
    const two = replyWith(toolUse('call_1', 'workspace.read'), toolUse('call_2', 'workspace.read'));
    given([created, requested(1), responded(two)]).when(verdicts(['call_1', allowed])).then([], []);
    given([created, requested(1)]).when(verdicts(['call_1', allowed])).then([], []);
    given([created, requested(1), responded(readReply), readRequested, { type: 'permission.granted', data: { callId: 'call_1', tool: 'workspace.read', ...allowed, effect: 'allow' } }])
      .when(verdicts(['call_7', allowed]))
      .then([], []);
  });

  it('dispatches a waiting call again with the grant recorded for it, asking nothing and recording nothing', () => {
    const waiting = [created, requested(1), responded(readReply), readRequested, { type: 'permission.granted', data: { callId: 'call_1', tool: 'workspace.read', ...allowed, effect: 'allow' } } as NewEvent];
    const again = given(waiting).when({ type: 'Resume' }).then([], [{ type: 'DispatchTool', job: { callId: 'call_1', grant } }]);
    const [dispatch] = again.effects;
    if (dispatch?.type !== 'DispatchTool' || 'firstDispatch' in dispatch.job) throw new Error('a re-dispatch is not the first dispatch');
  });

  it('checks a waiting call that has no verdict (a fork of an older session) before dispatching it', () => {
    given([created, requested(1), responded(readReply), readRequested]).when({ type: 'Resume' }).then([], [{ type: 'CheckPermissions', checks: [{ callId: 'call_1', tool: 'workspace.read' }] }]);
  });

  it('records a new verdict on a waiting call (its grant ran out before a re-dispatch): dispatches with the new grant, or refuses it', () => {
    const waiting = [created, requested(1), responded(readReply), readRequested, { type: 'permission.granted', data: { callId: 'call_1', tool: 'workspace.read', ...allowed, effect: 'allow' } } as NewEvent];
    const renewed = { ...allowed, grant: { ...grant, issuedAt: 2 } };
    given(waiting).when(verdicts(['call_1', renewed])).then([{ type: 'permission.granted', data: { grant: renewed.grant } }], [{ type: 'DispatchTool', job: { callId: 'call_1', grant: renewed.grant } }]);
    given(waiting).when(verdicts(['call_1', denied])).then([{ type: 'permission.denied' }, { type: 'tool.failed' }, { type: 'model.requested' }]);
  });

  it('takes no verdict while paused: the calls are checked again when it is resumed', () => {
    const paused: NewEvent = { type: 'session.paused', data: { reason: 'look first', by: 'cli:ann' } };
    given([created, requested(1), responded(readReply), paused]).when(verdicts(['call_1', allowed])).then([], []);
    given([created, requested(1), responded(readReply), paused]).when({ type: 'ResumeSession', by: 'cli:ann' }).then([{ type: 'session.resumed' }], [{ type: 'CheckPermissions' }]);
  });

  it('leaves a session created under version 2 ungated: its calls are dispatched at once and verdicts ignored', () => {
    const before = createdUnder(2);
    given([before, requested(1)])
      .when(replyCommand(readReply))
      .then([{ type: 'model.responded' }, { type: 'tool.requested' }], [{ type: 'DispatchTool', job: { callId: 'call_1' } }]);
    given([before, requested(1), responded(readReply)]).when(verdicts(['call_1', allowed])).then([], []);
  });
});
