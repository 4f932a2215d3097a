import type { AgentDefinition, ModelResponse, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { decide, type SessionCommand } from './decide.ts';
import { forkPrefix } from './fork.ts';
import { initialState } from './state.ts';
import { given, stored } from './spec.ts';

const agent: AgentDefinition = {
  name: 'reader',
  model: 'scripted',
  system: 'Be brief.',
  tools: ['workspace.read'],
  budget: { maxSteps: 5 },
  maxTokens: 1024,
  subagents: [],
  script: [{ final: 'done' }],
};
const tools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const created: NewEvent = { type: 'session.created', data: { agent, input: 'Read notes.md', tools, budget: agent.budget, deciderVersion: 1 } };
const readCall: ModelResponse = {
  model: 'scripted',
  content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }],
  stopReason: 'tool_use',
  usage,
};
const original: NewEvent[] = [
  created,
  { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd1', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: readCall.content, stopReason: 'tool_use', usage, costUsd: 0.01, latencyMs: 3 } },
  { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: 'orig/call_1' } },
  { type: 'tool.failed', data: { callId: 'call_1', tool: 'workspace.read', error: 'no file at notes.md', durationMs: 2 } },
];

type ForkSession = Extract<SessionCommand, { type: 'ForkSession' }>;

function forkOf(prefix: NewEvent[], overrides: Partial<ForkSession> = {}): ForkSession {
  return { type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 'orig', n: prefix.length }, prefix, ...overrides };
}

describe('forking a session', () => {
  it('starts paused when its prefix ends paused, and goes on when the fork is resumed', () => {
    const paused: NewEvent = { type: 'session.paused', data: { reason: 'look', by: 'cli:ann' } };
    const prefix = [...original, paused];
    given([]).when(forkOf(prefix)).then([{ type: 'session.created' }, ...prefix.slice(1).map(({ type }) => ({ type }))], []);
    const forked = decide(forkOf(prefix), initialState()).events;
    given(forked)
      .when({ type: 'ResumeSession', by: 'cli:bob' })
      .then([{ type: 'session.resumed', data: { by: 'cli:bob' } }, { type: 'model.requested', data: { callId: 'm2' } }], [{ type: 'CallModel', callId: 'm2' }]);
  });

  it('records the prefix with its origin, then asks the model about an edited tool result', () => {
    const edited: NewEvent = { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: 'milk', durationMs: 2 } };
    const decision = given([])
      .when(forkOf([...original.slice(0, 4), edited]))
      .then(
        [
          { type: 'session.created', data: { forkedFrom: { sessionId: 'orig', n: 5 }, agent: { model: 'scripted' } } },
          { type: 'model.requested' },
          { type: 'model.responded' },
          { type: 'tool.requested' },
          { type: 'tool.completed', data: { output: 'milk' } },
          { type: 'model.requested', data: { callId: 'm2', attempt: 1 } },
        ],
        [{ type: 'CallModel', callId: 'm2' }],
      );
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'milk', isError: false }],
    });
  });

  it('changes the agent in the fork and asks its model from the start', () => {
    const decision = given([])
      .when(forkOf([created], { agent: { model: 'anthropic/claude-x', system: 'Be thorough.' } }))
      .then(
        [{ type: 'session.created', data: { agent: { name: 'reader', model: 'anthropic/claude-x', system: 'Be thorough.' } } }, { type: 'model.requested', data: { model: 'anthropic/claude-x' } }],
        [{ type: 'CallModel', model: 'anthropic/claude-x' }],
      );
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request).toMatchObject({ model: 'claude-x', system: 'Be thorough.' });
  });

  it('gives the fork other supervision, whole, as an eval turns a detector off to see what its intervention changed', () => {
    given([])
      .when(forkOf([created], { agent: { supervision: { repetition: { enabled: false }, ladder: ['abort'] } } }))
      .then([{ type: 'session.created', data: { agent: { name: 'reader', supervision: { repetition: { enabled: false }, ladder: ['abort'] } } } }, { type: 'model.requested' }], [{ type: 'CallModel' }]);
  });

  it('has the permission broker check the tool calls a prefix leaves outstanding, as a new session checks every call', () => {
    given([])
      .when(forkOf(original.slice(0, 4)))
      .then([{ type: 'session.created' }, { type: 'model.requested' }, { type: 'model.responded' }, { type: 'tool.requested' }], [
        { type: 'CheckPermissions', checks: [{ sessionId: 'f1', callId: 'call_1', tool: 'workspace.read' }] },
      ]);
  });

  it('dispatches the tool calls a prefix leaves outstanding when it forks under decider version 2', () => {
    given([])
      .when({ ...forkOf(original.slice(0, 4)), deciderVersion: 2 })
      .then([{ type: 'session.created' }, { type: 'model.requested' }, { type: 'model.responded' }, { type: 'tool.requested' }], [
        { type: 'DispatchTool', job: { sessionId: 'f1', callId: 'call_1', idempotencyKey: 'orig/call_1' } },
      ]);
  });

  it('calls the model a prefix ends waiting for, without asking twice', () => {
    given([]).when(forkOf(original.slice(0, 2))).then([{ type: 'session.created' }, { type: 'model.requested' }], [{ type: 'CallModel', callId: 'm1' }]);
  });

  it('ends an edited reply without tool calls as the answer', () => {
    const reply: NewEvent = {
      type: 'model.responded',
      data: { callId: 'm1', model: 'scripted', content: [{ type: 'text', text: 'Nothing to read.' }], stopReason: 'end_turn', usage, costUsd: 0.01, latencyMs: 3 },
    };
    given([])
      .when(forkOf([...original.slice(0, 2), reply]))
      .then([{ type: 'session.created' }, { type: 'model.requested' }, { type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', output: 'Nothing to read.' } }], []);
  });

  it('starts nothing for a fork that exists (a redelivered request)', () => {
    given(original).when(forkOf(original)).then([], []);
  });

  it('records the rest of a prefix its actor was cut off in, then goes on', () => {
    const recorded = decide(forkOf(original), initialState()).events.slice(0, 3);
    given(recorded)
      .when(forkOf(original))
      .then([{ type: 'tool.requested' }, { type: 'tool.failed' }, { type: 'model.requested', data: { callId: 'm2' } }], [{ type: 'CallModel', callId: 'm2' }]);
  });

  it('starts nothing for another fork request under the id of a fork that exists', () => {
    const recorded = decide(forkOf(original), initialState()).events.slice(0, 3);
    given(recorded).when(forkOf(original.slice(0, 4))).then([], []);
  });

  it('refuses a prefix that does not start with session.created, or that already completed', () => {
    given([]).when(forkOf(original.slice(1))).then([], []);
    const completed: NewEvent = { type: 'session.completed', data: { status: 'succeeded', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } };
    given([]).when(forkOf([created, completed])).then([], []);
  });
});

describe('a fork prefix', () => {
  it("is the original's first n events as type and data, event n replaced by the edit", () => {
    const log = stored(original, 'orig');
    expect(forkPrefix(log, 3)).toEqual(original.slice(0, 3));
    const edited: NewEvent = { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: 'milk', durationMs: 2 } };
    expect(forkPrefix(log, 5, edited)).toEqual([...original.slice(0, 4), edited]);
  });

  it('is undefined when the original has fewer events', () => {
    expect(forkPrefix(stored(original, 'orig'), 6)).toBeUndefined();
  });
});
