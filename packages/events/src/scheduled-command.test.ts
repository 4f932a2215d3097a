import { describe, expect, it } from 'vitest';
import type { InboxCommand } from './commands.ts';
import { ScheduledCommand } from './scheduled-command.ts';

const command: InboxCommand = {
  type: 'tool.result',
  sessionId: 's1',
  callId: 'c1',
  tool: 'clock.wait',
  outcome: { status: 'completed', output: 'waited' },
  durationMs: 1,
};
const timer = { timerId: 'deadline-1', sessionId: 's1', at: 1_700_000_000_000, command };

describe('a scheduled command', () => {
  it('is a timer id, a session, a time and an inbox command, optionally recurring', () => {
    expect(ScheduledCommand.parse(timer)).toEqual(timer);
    expect(ScheduledCommand.parse({ ...timer, everyMs: 60_000 }).everyMs).toBe(60_000);
  });

  it.each(['a.b', 'a*', '>', '*', '', 'with space', 'x'.repeat(101)])('refuses the timer id %j', (timerId) => {
    expect(ScheduledCommand.safeParse({ ...timer, timerId }).success).toBe(false);
  });

  it.each(['a.b', '*', '>'])('refuses a command for the session id %j', (sessionId) => {
    expect(ScheduledCommand.safeParse({ ...timer, sessionId, command: { ...command, sessionId } }).success).toBe(false);
  });

  it("refuses a command for another session than the timer's", () => {
    const parsed = ScheduledCommand.safeParse({ ...timer, command: { ...command, sessionId: 's2' } });
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['command.sessionId']);
  });

  it('refuses anything that is not an inbox command', () => {
    expect(ScheduledCommand.safeParse({ ...timer, command: { type: 'publish', subject: '$JS.API.STREAM.DELETE.SBX_EVENTS' } }).success).toBe(false);
  });

  it('refuses recurrences under a second, and times a Date cannot hold', () => {
    expect(ScheduledCommand.safeParse({ ...timer, everyMs: 10 }).success).toBe(false);
    expect(ScheduledCommand.safeParse({ ...timer, at: Number.NaN }).success).toBe(false);
    expect(ScheduledCommand.safeParse({ ...timer, at: 8.64e15 + 1 }).success).toBe(false);
  });
});
