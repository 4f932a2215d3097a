import type { NatsConnection } from '@nats-io/nats-core';
import type { ForkRequest, Naming } from '@signalbox/events';
import { sendToSession } from '@signalbox/runtime';
import type { RewindTarget, SessionEffect } from '@signalbox/session';
import type { EventReader } from '@signalbox/store';

/** Asks for the forks a supervisor's rewind starts. */
export interface RewindForks {
  perform(effects: readonly SessionEffect[]): Promise<void>;
}

/**
 * Sends each fork a rewind asked for to the fork's inbox, where the shared inbox durable starts it as
 * any fork (reading the original's first events from the log). The fork's id is the message id, and
 * the fork decider ignores a fork that exists: a rewind delivered again, which asks again, starts one fork.
 */
export function liveRewindForks(nc: NatsConnection, names: Naming): RewindForks {
  return {
    perform: async (effects) => {
      for (const effect of effects) {
        if (effect.type !== 'StartFork') continue;
        const request: ForkRequest = { type: 'fork', sessionId: effect.sessionId, from: effect.from };
        await sendToSession(nc, names, effect.sessionId, request, { messageId: `fork/${effect.sessionId}` });
      }
    },
  };
}

/** What the decider needs to place a rewind to `at`: the session's log up to there, read through the store as a fork's is. */
export async function rewindTarget(store: EventReader, sessionId: string, at: number): Promise<RewindTarget> {
  return { at, log: await store.read(sessionId, { toN: at }) };
}
