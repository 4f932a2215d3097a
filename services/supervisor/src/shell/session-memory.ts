import type { SessionEvent } from '@signalbox/events';
import type { ServiceContext } from '@signalbox/runtime';
import type { Detector } from '@signalbox/supervision';
import { watchEvent, type WatchedSession } from '../core/watch.ts';
import type { WatchedSessions } from './watched-sessions.ts';

/** The sessions a replica watches, bounded; a session let go is folded again from its log when it is next handed an event. */
export interface SessionMemory {
  /** The session's state before `event`: kept, or rebuilt from the log (events 1 to `event.n - 1`). */
  before(event: SessionEvent): Promise<WatchedSession | undefined>;
  /** Keeps the session's state after an event, or lets it go (`undefined`: it completed). */
  keep(sessionId: string, session: WatchedSession | undefined): void;
}

export function sessionMemory(store: ServiceContext['store'], sessions: WatchedSessions, detectors: readonly Detector[]): SessionMemory {
  return {
    before: async (event) => {
      const kept = sessions.get(event.sessionId);
      if (kept !== undefined || event.n === 1) return kept;
      // Let go to stay under capacity. Its interventions were sent before it was kept, so the fold is
      // silent: its effects are dropped, and the state is what it was, as the fold is deterministic.
      let session: WatchedSession | undefined;
      for (const earlier of await store.read(event.sessionId, { toN: event.n - 1 })) session = watchEvent(session, earlier, detectors).session;
      return session;
    },
    keep: (sessionId, session) => sessions.set(sessionId, session),
  };
}
