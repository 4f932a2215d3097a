import { describe, expect, it } from 'vitest';
import { BoundedSessions } from './bounded-sessions.ts';

describe('the sessions a replica keeps', () => {
  it('lets go of the session handed an event longest ago when over capacity', () => {
    const sessions = new BoundedSessions<number>(2);
    sessions.set('a', 1);
    sessions.set('b', 1);
    expect(sessions.get('a')).toBe(1); // a is now the most recent
    sessions.set('c', 1);
    expect([sessions.get('a'), sessions.get('b'), sessions.get('c')]).toEqual([1, undefined, 1]);
    expect(sessions.size).toBe(2);
  });

  it('refuses a capacity that is not a whole number of at least one', () => {
    expect(() => new BoundedSessions(0)).toThrow(RangeError);
    expect(() => new BoundedSessions(1.5)).toThrow(RangeError);
  });
});
