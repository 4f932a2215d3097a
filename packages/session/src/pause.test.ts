import type { Budget, ModelResponse, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import type { SessionCommand } from './decide.ts';
import { agent, given, stored, tools } from './spec.ts';
import { fold } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const createdUnder = (deciderVersion: number, budget: Budget = agent.budget): NewEvent => ({
  type: 'session.created',
  data: { agent, input: 'Summarise notes.md', tools, budget, deciderVersion },
});
const created = createdUnder(2);
const requested = (step: number): NewEvent => ({ type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });
const readCall: ModelResponse = { model: 'scripted', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage };
const responded = (step: number, response: ModelResponse = readCall, costUsd = 0): NewEvent => ({
  type: 'model.responded',
  data: { callId: `m${step}`, model: 'scripted', content: response.content, stopReason: response.stopReason, usage, costUsd, latencyMs: 1 },
});
const toolRequested: NewEvent = { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: 's1/call_1' } };
const toolCompleted: NewEvent = { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: 'notes', durationMs: 2 } };
const paused: NewEvent = { type: 'session.paused', data: { reason: 'look first', by: 'cli:ann' } };
const pause: SessionCommand = { type: 'PauseSession', reason: 'look first', by: 'cli:ann' };
const resume: SessionCommand = { type: 'ResumeSession', by: 'cli:ann' };
const toolResult: SessionCommand = {
  type: 'RecordToolResult',
  result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome: { status: 'completed', output: 'notes' }, durationMs: 2 },
};
/** A session that has spent its three steps: the third reply asked for a tool, whose result is in. */
const threeSteps = (first: NewEvent) => [first, requested(1), responded(1), toolRequested, toolCompleted, requested(2), responded(2), toolRequested, toolCompleted, requested(3), responded(3), toolRequested];

describe('pausing a session', () => {
  it('records who paused it and why, and asks for nothing', () => {
    given([created, requested(1), responded(1), toolRequested]).when(pause).then([{ type: 'session.paused', data: { reason: 'look first', by: 'cli:ann' } }], []);
  });

  it('is idempotent: pausing a paused session records nothing', () => {
    given([created, requested(1), paused]).when(pause).then([], []);
  });

  it('does nothing to a session that has completed or does not exist', () => {
    const totals = { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    given([created, requested(1), { type: 'session.completed', data: { status: 'succeeded', totals } }]).when(pause).then([], []);
    given([]).when(pause).then([], []);
  });

  it('records a tool result that arrives while paused, and takes no next step', () => {
    given([created, requested(1), responded(1), toolRequested, paused]).when(toolResult).then([{ type: 'tool.completed' }], []);
  });

  it('records a model reply already in flight when it paused, and dispatches none of its tool calls', () => {
    given([created, requested(1), paused])
      .when({ type: 'RecordModelReply', callId: 'm1', response: readCall, costUsd: 0, latencyMs: 1 })
      .then([{ type: 'model.responded' }], []);
  });

  it('makes no model or tool call on a crash-recovery Resume', () => {
    given([created, requested(1), paused]).when({ type: 'Resume' }).then([], []);
    given([created, requested(1), responded(1), toolRequested, paused]).when({ type: 'Resume' }).then([], []);
    given([created, requested(1), responded(1), toolRequested, paused, toolCompleted]).when({ type: 'Resume' }).then([], []);
  });

  it('stays paused in the folded state, which is all a restarted actor has', () => {
    expect(fold(stored([created, requested(1), paused]))).toMatchObject({ status: 'awaiting_model', paused: { reason: 'look first', by: 'cli:ann' } });
  });
});

describe('resuming a session', () => {
  it('takes the step the pause held back, once the results are in', () => {
    given([created, requested(1), responded(1), toolRequested, paused, toolCompleted])
      .when(resume)
      .then([{ type: 'session.resumed', data: { by: 'cli:ann' } }, { type: 'model.requested', data: { callId: 'm2' } }], [{ type: 'CallModel', callId: 'm2' }]);
  });

  it('asks again for the calls the session waited on when it paused', () => {
    given([created, requested(1), responded(1), toolRequested, paused])
      .when(resume)
      .then([{ type: 'session.resumed' }], [{ type: 'DispatchTool', job: { callId: 'call_1', idempotencyKey: 's1/call_1' } }]);
    given([created, requested(1), paused]).when(resume).then([{ type: 'session.resumed' }], [{ type: 'CallModel', callId: 'm1' }]);
  });

  it('does nothing to a session that is not paused', () => {
    given([created, requested(1)]).when(resume).then([], []);
    given([created, requested(1), paused, { type: 'session.resumed', data: { by: 'cli:ann' } }]).when(resume).then([], []);
  });
});

describe('a spent budget (decider version 2)', () => {
  it('pauses the session instead of failing it', () => {
    given(threeSteps(created))
      .when(toolResult)
      .then([
        { type: 'tool.completed' },
        { type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 3, used: 3 } },
        { type: 'session.paused', data: { by: 'budget', fromBudget: true } },
      ], []);
  });

  it('goes on when a resume raises the limit, and records the new limit', () => {
    const spent = [...threeSteps(created), toolCompleted, { type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 3, used: 3 } } as NewEvent];
    const budgetPaused: NewEvent = { type: 'session.paused', data: { reason: 'budget exceeded', by: 'budget', fromBudget: true } };
    const decision = given([...spent, budgetPaused])
      .when({ type: 'ResumeSession', by: 'cli:ann', budget: { maxSteps: 5 } })
      .then([{ type: 'session.resumed', data: { budget: { maxSteps: 5 } } }, { type: 'model.requested', data: { callId: 'm4' } }], [{ type: 'CallModel', callId: 'm4' }]);
    expect(fold(stored([...spent, budgetPaused, ...decision.events]))).toMatchObject({ budget: { maxSteps: 5 }, paused: null, status: 'awaiting_model' });
  });

  it('pauses again at once when a resume leaves the limit spent', () => {
    const spent = [...threeSteps(created), toolCompleted, { type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 3, used: 3 } } as NewEvent];
    given([...spent, { type: 'session.paused', data: { reason: 'budget exceeded', by: 'budget', fromBudget: true } }])
      .when(resume)
      .then([{ type: 'session.resumed' }, { type: 'budget.exceeded' }, { type: 'session.paused', data: { fromBudget: true } }], []);
  });

  it('pauses on a reply that takes the session over maxCostUsd, and a higher maxCostUsd lets it go on', () => {
    const costly = createdUnder(2, { maxSteps: 3, maxCostUsd: 0.05 });
    const decision = given([costly, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: readCall, costUsd: 0.06, latencyMs: 1 })
      .then([{ type: 'model.responded' }, { type: 'budget.exceeded', data: { limit: 'maxCostUsd' } }, { type: 'session.paused', data: { fromBudget: true } }], []);
    given([costly, requested(1), ...decision.events])
      .when({ type: 'ResumeSession', by: 'cli:ann', budget: { maxCostUsd: 1 } })
      .then([{ type: 'session.resumed', data: { budget: { maxCostUsd: 1 } } }, toolRequested], [{ type: 'DispatchTool', job: { callId: 'call_1' } }]);
  });

  it('still fails a session created under version 1, as it was recorded', () => {
    given(threeSteps(createdUnder(1)))
      .when(toolResult)
      .then([{ type: 'tool.completed' }, { type: 'budget.exceeded' }, { type: 'session.completed', data: { status: 'failed' } }], []);
  });
});
