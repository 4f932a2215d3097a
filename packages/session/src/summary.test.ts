import type { NewEvent, SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { replaySummary, summarise } from './summary.ts';

const agent = { name: 'scribe', model: 'scripted', system: '', tools: [], budget: { maxSteps: 3 }, maxTokens: 1024, subagents: [] };
const usage = { inputTokens: 30, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 };
const steps: NewEvent[] = [
  { type: 'session.created', data: { agent, input: 'note it', tools: [], budget: agent.budget, deciderVersion: 1 } },
  { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'tool_use', id: 't1', name: 'workspace.write', input: {} }], stopReason: 'tool_use', usage, costUsd: 0.5, latencyMs: 3 } },
  { type: 'tool.requested', data: { callId: 't1', tool: 'workspace.write', input: {}, idempotencyKey: 'r/t1' } },
  { type: 'tool.outcome_unknown', data: { callId: 't1', tool: 'workspace.write', reason: 'cut off' } },
  { type: 'model.requested', data: { callId: 'm2', model: 'scripted', digest: 'e', digestScheme: 'message-chain', attempt: 1 } },
];
const running = steps.map((event, index) => ({
  ...event, id: `e${index}`, v: 1, sessionId: 'r', n: index + 1, at: 100 * index, causationId: null, correlationId: 'r', by: { service: 't', instance: 't' },
})) as SessionEvent[];

describe('what a run came to', () => {
  it('is still running, with no totals yet, until session.completed', () => {
    expect(summarise('r', running)).toEqual({
      sessionId: 'r', agent: 'scribe', status: 'running', events: 6, durationMs: 500, totals: undefined, output: undefined, reason: undefined, grades: [],
    });
  });

  it('is paused from session.paused until session.resumed', () => {
    const meta = (n: number) => ({ id: `p${n}`, v: 1, sessionId: 'r', n, at: 100 * n, causationId: null, correlationId: 'r', by: { service: 't', instance: 't' } });
    const paused = [...running, { ...meta(7), type: 'session.paused', data: { reason: 'look', by: 'cli:ann' } }] as SessionEvent[];
    expect(summarise('r', paused).status).toBe('paused');
    const resumed = [...paused, { ...meta(8), type: 'session.resumed', data: { by: 'cli:ann' } }] as SessionEvent[];
    expect(summarise('r', resumed).status).toBe('running');
  });

  it('counts a running replay the way the session counts it', () => {
    expect(replaySummary(running)).toMatchObject({
      to: 6,
      totals: { steps: 2, toolCalls: 1, inputTokens: 30, outputTokens: 7, costUsd: 0.5 },
      modelCalls: 2,
      modelFailures: 0,
      toolFailures: 1,
    });
    expect(replaySummary(running, 2)).toMatchObject({ to: 2, events: 2, totals: { steps: 1, toolCalls: 0, costUsd: 0 }, modelCalls: 1 });
  });
});
