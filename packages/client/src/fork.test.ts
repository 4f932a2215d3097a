import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { ForkError, forkEdit } from './fork.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const agent = { name: 'reader', model: 'scripted', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 1024, subagents: [], script: [{ final: 'x' }] };
const log: NewEvent[] = [
  { type: 'session.created', data: { agent, input: 'read', tools: [], budget: agent.budget, deciderVersion: 1 } },
  { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd1', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'tool_use', id: 'c1', name: 'workspace.read', input: {} }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
  { type: 'tool.requested', data: { callId: 'c1', tool: 'workspace.read', input: {}, idempotencyKey: 'orig/c1' } },
  { type: 'tool.failed', data: { callId: 'c1', tool: 'workspace.read', error: 'missing', durationMs: 2 } },
  { type: 'model.requested', data: { callId: 'm2', model: 'scripted', digest: 'd2', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm2', model: 'scripted', content: [{ type: 'text', text: 'gave up' }], stopReason: 'end_turn', usage, costUsd: 0, latencyMs: 1 } },
  { type: 'session.completed', data: { status: 'succeeded', output: 'gave up', totals: { steps: 2, toolCalls: 1, inputTokens: 20, outputTokens: 10, costUsd: 0 } } },
];
const events = log.map((event, index) => ({ ...event, id: `e${index}`, v: 1, sessionId: 'orig', n: index + 1, at: index, causationId: null, correlationId: 'orig', by: { service: 't', instance: 't' } }));

describe('a fork edit', () => {
  it('is nothing when the fork keeps event n as it is', () => {
    expect(forkEdit('orig', events, { at: 3 })).toBeUndefined();
  });

  it('records an edited tool result as completed with the new output', () => {
    expect(forkEdit('orig', events, { at: 5, toolOutput: 'found it' })).toEqual({
      type: 'tool.completed',
      data: { callId: 'c1', tool: 'workspace.read', output: 'found it', durationMs: 2 },
    });
  });

  it('replaces an edited reply with the text, ending the turn', () => {
    expect(forkEdit('orig', events, { at: 3, reply: 'no need' })).toMatchObject({
      type: 'model.responded',
      data: { callId: 'm1', content: [{ type: 'text', text: 'no need' }], stopReason: 'end_turn' },
    });
  });

  it('refuses an edit that does not fit event n, an n outside the log, and a fork at or after completion', () => {
    expect(() => forkEdit('orig', events, { at: 3, toolOutput: 'x' })).toThrow(/--tool-output edits a tool result, and event 3 is model.responded/);
    expect(() => forkEdit('orig', events, { at: 5, reply: 'x' })).toThrow(/--reply edits a model reply, and event 5 is tool.failed/);
    expect(() => forkEdit('orig', events, { at: 0 })).toThrow(/between 1 and 8/);
    expect(() => forkEdit('orig', events, { at: 9 })).toThrow(ForkError);
    expect(() => forkEdit('orig', events, { at: 8 })).toThrow(/completed at event 8; fork at an earlier event \(1-7\)/);
    expect(() => forkEdit('none', [], { at: 1 })).toThrow(/no session none/);
  });
});
