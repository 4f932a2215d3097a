import type { NewEvent } from '@signalbox/events';
import { describe, it } from 'vitest';
import { deadlineMs, given, logged, start } from './spec.ts';

const requested: NewEvent = {
  type: 'tool.requested',
  data: { callId: 'call_1', tool: 'http.get', input: { url: 'https://example.com' }, idempotencyKey: 's1/call_1' },
};
const completed: NewEvent = { type: 'tool.completed', data: { callId: 'call_1', tool: 'http.get', output: 'ok', durationMs: 5 } };
const stopped: NewEvent = {
  type: 'session.completed',
  data: { status: 'failed', reason: 'stopped', totals: { steps: 1, toolCalls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 } },
};
const check = (afterMs: number) => ({ type: 'CheckDeadlines' as const, now: start + afterMs });

describe('tool call deadlines', () => {
  it('answers a call that has waited past its deadline: outcome unknown, as it may still be running', () => {
    given([logged('s1', 4, start, requested)])
      .when(check(deadlineMs + 1))
      .then([
        {
          type: 'SendToSession',
          sessionId: 's1',
          command: { type: 'tool.result', sessionId: 's1', callId: 'call_1', outcome: { status: 'unknown' }, durationMs: deadlineMs + 1 },
        },
      ]);
  });

  it('leaves a call alone until its deadline has passed', () => {
    given([logged('s1', 4, start, requested)]).when(check(deadlineMs)).then([]);
  });

  it('forgets a call once its result is in the log', () => {
    given([logged('s1', 4, start, requested), logged('s1', 5, start + 5, completed)]).when(check(deadlineMs + 1)).then([]);
  });

  it('forgets the calls of a session that has completed', () => {
    given([logged('s1', 4, start, requested), logged('s1', 5, start + 5, stopped)]).when(check(deadlineMs + 1)).then([]);
  });

  it('tells calls of different sessions apart, even with the same call id', () => {
    given([logged('s1', 4, start, requested), logged('s2', 4, start + deadlineMs, requested)])
      .when(check(deadlineMs + 1))
      .then([{ type: 'SendToSession', sessionId: 's1' }]);
  });

  it('sends the same message id at every check, so an answer sent twice lands once', () => {
    const log = [logged('s1', 4, start, requested)];
    const first = given(log).when(check(deadlineMs + 1)).then([{ type: 'SendToSession', messageId: 'tool-deadline/s1/call_1' }]);
    given(log).when(check(2 * deadlineMs)).then([{ type: 'SendToSession', messageId: first.effects[0]?.messageId }]);
  });
});
