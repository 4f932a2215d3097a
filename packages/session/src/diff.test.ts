import type { NewEvent, SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { diffSessions } from './diff.ts';

const agent = { name: 'reader', model: 'scripted', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 1024, subagents: [] };
const totals = { steps: 1, toolCalls: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.01 };

function session(sessionId: string, log: NewEvent[], step = 10): SessionEvent[] {
  return log.map((event, index) => ({ ...event, id: `${sessionId}${index}`, v: 1, sessionId, n: index + 1, at: 1000 + index * step, causationId: null, correlationId: sessionId, by: { service: 't', instance: sessionId } }));
}
const created: NewEvent = { type: 'session.created', data: { agent, input: 'read', tools: [], budget: agent.budget, deciderVersion: 1 } };
const requested: NewEvent = { type: 'tool.requested', data: { callId: 'c1', tool: 'workspace.read', input: {}, idempotencyKey: 'a/c1' } };
const failed: NewEvent = { type: 'tool.failed', data: { callId: 'c1', tool: 'workspace.read', error: 'missing', durationMs: 2 } };
const done = (status: 'succeeded' | 'failed'): NewEvent => ({ type: 'session.completed', data: { status, totals } });

describe('diffing two sessions', () => {
  it('finds no divergence between logs that differ only in envelopes, timings, keys, forkedFrom and decider version', () => {
    const forked: NewEvent = { type: 'session.created', data: { ...created.data, forkedFrom: { sessionId: 'a', n: 3 }, deciderVersion: 2 } };
    const b = session('b', [forked, { ...requested, data: { ...requested.data, idempotencyKey: 'b/c1' } }, { ...failed, data: { ...failed.data, durationMs: 9 } }, done('failed')], 20);
    const diff = diffSessions(session('a', [created, requested, failed, done('failed')]), b);
    expect(diff.divergence).toBeUndefined();
    expect(diff.a).toMatchObject({ sessionId: 'a', status: 'failed', durationMs: 30, totals });
    expect(diff.b).toMatchObject({ sessionId: 'b', durationMs: 60 });
  });

  it('names the first event whose type or data differ', () => {
    const completed: NewEvent = { type: 'tool.completed', data: { callId: 'c1', tool: 'workspace.read', output: 'milk', durationMs: 2 } };
    const diff = diffSessions(session('a', [created, requested, failed, done('failed')]), session('b', [created, requested, completed, done('succeeded')]));
    expect(diff.divergence).toEqual({ n: 3, a: failed, b: completed });
    expect([diff.a.status, diff.b.status]).toEqual(['failed', 'succeeded']);
  });

  it('names where the shorter log ends', () => {
    const diff = diffSessions(session('a', [created, requested]), session('b', [created, requested, failed]));
    expect(diff.divergence).toEqual({ n: 3, a: undefined, b: failed });
  });
});
