import type { NewEvent, SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { toolsAwaited, toolWaitLine } from './tool-waits.ts';

const totals = { steps: 1, toolCalls: 2, inputTokens: 1, outputTokens: 1, costUsd: 0 };

function stored(events: NewEvent[]): SessionEvent[] {
  return events.map((event, index) => ({ ...event, id: `e${index + 1}`, v: 1, sessionId: 's', n: index + 1, at: 0, causationId: null, correlationId: 's', by: { service: 't', instance: 't' } }));
}

const requested = (callId: string, tool: string): NewEvent => ({ type: 'tool.requested', data: { callId, tool, input: {}, idempotencyKey: `s/${callId}` } });

describe('toolsAwaited', () => {
  it('names each tool with a call that has no outcome yet, once', () => {
    const events = stored([
      requested('t1', 'workspace.write'),
      requested('t2', 'workspace.read'),
      requested('t3', 'workspace.read'),
      { type: 'tool.completed', data: { callId: 't1', tool: 'workspace.write', output: 'ok', durationMs: 1 } },
    ]);
    expect(toolsAwaited(events)).toEqual(['workspace.read']);
  });

  it('names none once every call has an outcome, or the session has ended', () => {
    const answered = stored([requested('t1', 'a.b'), { type: 'tool.failed', data: { callId: 't1', tool: 'a.b', error: 'no', durationMs: 1 } }]);
    expect(toolsAwaited(answered)).toEqual([]);
    const ended = stored([requested('t1', 'a.b'), { type: 'session.completed', data: { status: 'aborted', totals } }]);
    expect(toolsAwaited(ended)).toEqual([]);
    const interrupted = stored([requested('t1', 'a.b'), { type: 'session.interrupted', data: { by: 'ann', reason: '', interruptId: 'i1', cancelledCalls: ['t1'] } }]);
    expect(toolsAwaited(interrupted)).toEqual([]);
  });

  it("never names the runtime's own waits: no executor serves them", () => {
    expect(toolsAwaited(stored([requested('t1', 'wait.signal'), requested('t2', 'wait.time')]))).toEqual([]);
  });
});

describe('toolWaitLine', () => {
  it('says how many jobs wait when no executor pulls, and what to start', () => {
    expect(toolWaitLine('workspace.read', { pending: 1, inProgress: 0, pulls: 0 })).toBe(
      'workspace.read: 1 job waiting, no executor pulling: start a tool executor that offers it',
    );
    expect(toolWaitLine('web.fetch', { pending: 3, inProgress: 0, pulls: 0 })).toMatch(/^web\.fetch: 3 jobs waiting/);
  });

  it('says nothing while an executor pulls or works, or when no job waits', () => {
    expect(toolWaitLine('a.b', { pending: 2, inProgress: 0, pulls: 1 })).toBeUndefined();
    expect(toolWaitLine('a.b', { pending: 2, inProgress: 1, pulls: 0 })).toBeUndefined();
    expect(toolWaitLine('a.b', { pending: 0, inProgress: 0, pulls: 0 })).toBeUndefined();
  });

  it('says so when no executor ever served the tool', () => {
    expect(toolWaitLine('a.b', undefined)).toBe('a.b: waiting, and no executor has ever served it: start a tool executor that offers it');
  });
});
