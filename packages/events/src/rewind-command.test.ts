import { describe, expect, it } from 'vitest';
import { InboxCommand } from './commands.ts';

const rewind = { type: 'intervention', sessionId: 's1', detector: 'repetition', action: 'rewind', message: 'Read the failing test instead.', evidence: [9, 14], at: 8 };

describe('a rewind intervention on the wire', () => {
  it('names the event to rewind to, and only a rewind does', () => {
    expect(InboxCommand.parse(rewind)).toEqual(rewind);
    const { at: _at, ...withoutAt } = rewind;
    expect(InboxCommand.safeParse(withoutAt).error?.issues[0]).toMatchObject({ path: ['at'], message: 'a rewind intervention names the event to rewind to (at), and only it does' });
    expect(InboxCommand.safeParse({ ...rewind, action: 'nudge' }).success).toBe(false);
  });

  it('refuses an event number that is not one: 0, negative, fractional, past any log, a string', () => {
    for (const at of [0, -3, 2.5, 1e12, '8']) expect(InboxCommand.safeParse({ ...rewind, at }).success).toBe(false);
  });
});
