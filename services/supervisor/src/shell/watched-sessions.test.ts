import { describe, expect, it } from 'vitest';
import type { WatchedSession } from '../core/watch.ts';
import { WatchedSessions } from './watched-sessions.ts';

const at = (n: number): WatchedSession =>
  ({ supervision: {}, steerable: true, proposed: [], head: { id: `e${n}`, v: 1, sessionId: 's1', n, at: 0, causationId: null, correlationId: 's1', by: { service: 't', instance: 't' } } }) as unknown as WatchedSession;

describe('the sessions a replica has folded, and the gate requests waiting on them', () => {
  it('answers at once when the head is folded already, and when it is folded later', async () => {
    const sessions = new WatchedSessions(10);
    sessions.set('s1', at(3));
    expect((await sessions.folded('s1', 3, 1_000))?.head.n).toBe(3);
    const later = sessions.folded('s1', 5, 1_000);
    expect(sessions.waiting).toBe(1);
    sessions.set('s1', at(4));
    sessions.set('s1', at(5));
    expect((await later)?.head.n).toBe(5);
    expect(sessions.waiting).toBe(0);
  });

  it('gives up after the wait, on a completed session, and when the replica stops', async () => {
    const sessions = new WatchedSessions(10);
    expect(await sessions.folded('unseen', 2, 20)).toBeUndefined();
    sessions.set('s1', at(2));
    const completing = sessions.folded('s1', 3, 5_000);
    sessions.set('s1', undefined);
    expect(await completing).toBeUndefined();
    const stopping = sessions.folded('s2', 9, 5_000);
    sessions.abandonWaits();
    expect(await stopping).toBeUndefined();
    expect(sessions.waiting).toBe(0);
  });
});
