import { describe, expect, it } from 'vitest';
import { SessionPositions, type Arrival } from './session-order.ts';

/** given(events handed on, as [session, n]).when(arrival).then(what to do) */
function given(handed: [string, number][], capacity?: number) {
  const positions = new SessionPositions(capacity);
  for (const [sessionId, n] of handed) positions.handedOn(sessionId, n);
  return {
    when: (sessionId: string, n: number) => ({ then: (expected: Arrival) => expect(positions.arrive(sessionId, n)).toStrictEqual(expected) }),
    positions,
  };
}

describe('the order of a session’s events at a subscriber', () => {
  it('hands on a session’s first event when it has seen nothing of it', () => {
    given([]).when('s1', 1).then({ type: 'Deliver' });
  });

  it('hands on the event after the last one handed on', () => {
    given([['s1', 1], ['s1', 2]]).when('s1', 3).then({ type: 'Deliver' });
  });

  it('catches a session seen mid-log up from its first event (a partition taken over, a replica restarted)', () => {
    given([]).when('s1', 7).then({ type: 'CatchUp', fromN: 1, toN: 6 });
  });

  it('catches up only what it missed when events went past it (handled by another replica meanwhile)', () => {
    given([['s1', 4]]).when('s1', 9).then({ type: 'CatchUp', fromN: 5, toN: 8 });
  });

  it('recognises a redelivered or already loaded event by its n', () => {
    given([['s1', 5]]).when('s1', 5).then({ type: 'Duplicate', lastN: 5 });
    given([['s1', 5]]).when('s1', 2).then({ type: 'Duplicate', lastN: 5 });
  });

  it('keeps sessions apart', () => {
    given([['s1', 5]]).when('s2', 1).then({ type: 'Deliver' });
  });

  it('never moves a session back', () => {
    const { positions } = given([['s1', 5], ['s1', 3]]);
    expect(positions.lastN('s1')).toBe(5);
  });

  it('forgets the session handed an event longest ago past its capacity, and catches it up when it returns', () => {
    const { when, positions } = given([['s1', 3], ['s2', 3], ['s1', 4], ['s3', 1]], 2);
    expect(positions.lastN('s2')).toBe(0);
    expect(positions.lastN('s1')).toBe(4);
    when('s2', 4).then({ type: 'CatchUp', fromN: 1, toN: 3 });
  });
});
