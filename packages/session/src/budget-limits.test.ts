import type { Budget, ModelResponse, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { decide, type SessionCommand } from './decide.ts';
import { agent, given, stored, tools } from './spec.ts';
import { fold } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const bothTools = [...tools, { name: 'ops.delete', description: 'Deletes', inputSchema: { type: 'object' } }];
const createdUnder = (deciderVersion: number, budget: Budget): NewEvent => ({
  type: 'session.created',
  data: { agent: { ...agent, tools: ['workspace.read', 'ops.delete'] }, input: 'Tidy up', tools: bothTools, budget, deciderVersion, nonIdempotentTools: ['ops.delete'] },
});
const requested = (step: number): NewEvent => ({ type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });
const call = (id: string, name = 'workspace.read') => ({ type: 'tool_use' as const, id, name, input: { path: 'a.md' } });
const reply = (...calls: ReturnType<typeof call>[]): ModelResponse => ({ model: 'scripted', content: calls, stopReason: 'tool_use', usage });
const replyCommand = (step: number, response: ModelResponse): SessionCommand => ({ type: 'RecordModelReply', callId: `m${step}`, response, costUsd: 0, latencyMs: 1 });
const responded = (step: number, response: ModelResponse): NewEvent => ({
  type: 'model.responded',
  data: { callId: `m${step}`, model: 'scripted', content: response.content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 },
});
const toolRequested = (id: string, tool = 'workspace.read'): NewEvent => ({ type: 'tool.requested', data: { callId: id, tool, input: { path: 'a.md' }, idempotencyKey: `s1/${id}` } });
const completed = (id: string, tool = 'workspace.read'): NewEvent => ({ type: 'tool.completed', data: { callId: id, tool, output: 'ok', durationMs: 1 } });
/** One finished step that called `tool` once. */
const stepWith = (step: number, id: string, tool = 'workspace.read'): NewEvent[] => [requested(step), responded(step, reply(call(id, tool))), toolRequested(id, tool), completed(id, tool)];
const budgetPause = (limit: string, allowed: number, used: number) => [
  { type: 'budget.exceeded' as const, data: { limit, allowed, used } },
  { type: 'session.paused' as const, data: { by: 'budget', fromBudget: true, reason: `budget spent: ${limit} ${used} of ${allowed}; resume with a higher ${limit} to go on` } },
];

describe('tool and time limits (decider version 4)', () => {
  it('pauses before requesting a reply whose calls would go past maxToolCalls, requesting none of them', () => {
    given([createdUnder(4, { maxSteps: 5, maxToolCalls: 2 }), ...stepWith(1, 'c1'), requested(2)])
      .when(replyCommand(2, reply(call('c2'), call('c3'))))
      .then([{ type: 'model.responded' }, ...budgetPause('maxToolCalls', 2, 3)], []);
  });

  it('goes on when a resume raises the limit: the held calls are checked and requested', () => {
    const held = [createdUnder(4, { maxSteps: 5, maxToolCalls: 2 }), ...stepWith(1, 'c1'), requested(2), responded(2, reply(call('c2'), call('c3'))), ...budgetPause('maxToolCalls', 2, 3)] as NewEvent[];
    given(held).when({ type: 'ResumeSession', by: 'ann', budget: { maxToolCalls: 3 } }).then([{ type: 'session.resumed', data: { budget: { maxToolCalls: 3 } } }], [{ type: 'CheckPermissions', checks: [{ callId: 'c2' }, { callId: 'c3' }] }]);
    given(held).when({ type: 'ResumeSession', by: 'ann', budget: { maxToolCalls: 2 } }).then([{ type: 'session.resumed' }, ...budgetPause('maxToolCalls', 2, 3)], []);
  });

  it('counts calls per tool, and a resume raises one tool limit without forgetting the others', () => {
    const budget = { maxSteps: 5, maxToolCallsPerTool: { 'workspace.read': 1, 'ops.delete': 5 } };
    const held = [createdUnder(4, budget), ...stepWith(1, 'c1'), requested(2), responded(2, reply(call('c2'))), ...budgetPause('maxToolCallsPerTool.workspace.read', 1, 2)] as NewEvent[];
    given(held.slice(0, -2)).when({ type: 'Resume' }).then(budgetPause('maxToolCallsPerTool.workspace.read', 1, 2), []);
    const resumed = given(held).when({ type: 'ResumeSession', by: 'ann', budget: { maxToolCallsPerTool: { 'workspace.read': 4 } } }).then([{ type: 'session.resumed' }], [{ type: 'CheckPermissions' }]);
    const after = fold(stored([...held, ...resumed.events]));
    expect(after.status !== 'new' && after.budget.maxToolCallsPerTool).toEqual({ 'workspace.read': 4, 'ops.delete': 5 });
  });

  it('counts calls of tools not safe to run twice: with maxNonIdempotentCalls 0 a delete is never requested', () => {
    given([createdUnder(4, { maxSteps: 5, maxNonIdempotentCalls: 0 }), requested(1)])
      .when(replyCommand(1, reply(call('c1', 'ops.delete'))))
      .then([{ type: 'model.responded' }, ...budgetPause('maxNonIdempotentCalls', 0, 1)], []);
    given([createdUnder(4, { maxSteps: 5, maxNonIdempotentCalls: 0 }), requested(1)])
      .when(replyCommand(1, reply(call('c1'))))
      .then([{ type: 'model.responded' }], [{ type: 'CheckPermissions' }]);
  });

  it('pauses at the next model turn once the log says the session has run longer than maxWallClockMs', () => {
    const history = stored([createdUnder(4, { maxSteps: 5, maxWallClockMs: 60_000 }), ...stepWith(1, 'c1')]);
    const late = history.map((event, index) => (index === history.length - 1 ? { ...event, at: event.at + 61_000 } : event));
    const decision = decide({ type: 'Resume' }, fold(late));
    expect(decision.events).toMatchObject([{ type: 'budget.exceeded', data: { limit: 'maxWallClockMs', allowed: 60_000 } }, { type: 'session.paused' }]);
    expect(decide({ type: 'Resume' }, fold(history)).events).toMatchObject([{ type: 'model.requested' }]);
  });

  it('leaves a session created under version 3 to its steps and cost only', () => {
    given([createdUnder(3, { maxSteps: 5, maxToolCalls: 1, maxNonIdempotentCalls: 0 }), ...stepWith(1, 'c1'), requested(2)])
      .when(replyCommand(2, reply(call('c2', 'ops.delete'))))
      .then([{ type: 'model.responded' }], [{ type: 'CheckPermissions' }]);
  });
});
