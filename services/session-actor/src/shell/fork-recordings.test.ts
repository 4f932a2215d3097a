import type { SessionEvent } from '@signalbox/events';
import type { SessionState } from '@signalbox/session';
import type { EventStore } from '@signalbox/store';
import { describe, expect, it, vi } from 'vitest';
import { ForkRecordings } from './fork-recordings.ts';

const originalLog = [{ type: 'session.created', n: 1 }] as unknown as SessionEvent[];

/** A store whose session `fork` is a hermetic fork of `original`; every other session is no fork. */
function fakeStore() {
  const first = vi.fn(async (sessionId: string) =>
    sessionId === 'fork' ? ({ type: 'session.created', data: { forkedFrom: { sessionId: 'original', n: 3, hermetic: true } } } as unknown as SessionEvent) : undefined,
  );
  const read = vi.fn(async (sessionId: string) => (sessionId === 'original' ? originalLog : []));
  return { store: { first, read } as unknown as EventStore, first, read };
}

/** Only the fields `know` reads. */
const stateOf = (sessionId: string, forkedFrom: { sessionId: string; n: number; hermetic?: boolean } | null) => ({ status: 'deciding', sessionId, forkedFrom }) as unknown as SessionState;

describe('ForkRecordings', () => {
  it("reads a session's first event once to learn whether it is a hermetic fork, and its original's log", async () => {
    const { store, first, read } = fakeStore();
    const recordings = new ForkRecordings(store);
    expect(await recordings.of('fork')).toBe(originalLog);
    expect(await recordings.of('fork')).toBe(originalLog);
    expect(await recordings.of('plain')).toBeUndefined();
    expect(first).toHaveBeenCalledTimes(2);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads nothing for a session whose state says it is no hermetic fork', async () => {
    const { store, first, read } = fakeStore();
    const recordings = new ForkRecordings(store);
    recordings.know(stateOf('plain', null));
    recordings.know(stateOf('live-fork', { sessionId: 'original', n: 3 }));
    expect(await recordings.of('plain')).toBeUndefined();
    expect(await recordings.of('live-fork')).toBeUndefined();
    expect(first).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
  });

  it('still reads the original of a hermetic fork the state names', async () => {
    const { store, read } = fakeStore();
    const recordings = new ForkRecordings(store);
    recordings.know(stateOf('fork', { sessionId: 'original', n: 3, hermetic: true }));
    expect(await recordings.of('fork')).toBe(originalLog);
    expect(read).toHaveBeenCalledWith('original');
  });

  it('keeps what it read before over what a state says later', async () => {
    const { store } = fakeStore();
    const recordings = new ForkRecordings(store);
    expect(await recordings.of('fork')).toBe(originalLog);
    recordings.know(stateOf('fork', null));
    expect(await recordings.of('fork')).toBe(originalLog);
  });
});
