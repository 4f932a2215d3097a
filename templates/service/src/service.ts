import { jetstream } from '@nats-io/jetstream';
import { assertNever, type SessionEvent } from '@signalbox/events';
import type { Service } from '@signalbox/runtime';
import { decide, evolve, initialState, type DeadlineEffect } from './core/overdue-calls.ts';
import { followLog } from './shell/follow-log.ts';
import { sendToSession } from './shell/send-to-session.ts';

export interface ToolDeadlineOptions {
  /** How long a tool call may wait for its result before its session is told the outcome is unknown. */
  deadlineMs?: number;
  /** How often the waiting calls are checked. */
  checkEveryMs?: number;
  clock?: () => number;
}

/**
 * Answers tool calls that wait past a deadline (a tool no executor offers, an executor that hangs),
 * so their sessions move on. The example a new service is copied from.
 */
export function toolDeadlineService(options: ToolDeadlineOptions = {}): Service {
  const clock = options.clock ?? Date.now;
  return {
    name: 'tool-deadline',
    start: async ({ nc, names, store, logger }) => {
      const js = jetstream(nc);
      let state = initialState(options.deadlineMs ?? 300_000);
      const following = new AbortController();
      const onEvent = (event: SessionEvent) => {
        state = evolve(state, event);
      };
      const followed = followLog(store, following.signal, onEvent).catch((error: unknown) => logger.error({ err: error }, 'stopped following the log'));

      const perform = async (effect: DeadlineEffect): Promise<void> => {
        switch (effect.type) {
          case 'SendToSession':
            return sendToSession(js, names, effect.sessionId, effect.command, effect.messageId);
          default:
            return assertNever(effect.type);
        }
      };
      // A check while the log is still being read may answer a call whose result it has not reached
      // yet: the session ignores a result for a call it no longer waits for.
      let checking: Promise<unknown> | undefined;
      const checks = setInterval(() => {
        checking ??= Promise.all(decide({ type: 'CheckDeadlines', now: clock() }, state).effects.map(perform))
          .catch((error: unknown) => logger.warn({ err: error }, 'could not answer overdue tool calls; will try again'))
          .finally(() => (checking = undefined));
      }, options.checkEveryMs ?? 5_000);

      return {
        stop: async () => {
          clearInterval(checks);
          following.abort();
          await Promise.all([followed, checking]);
        },
      };
    },
  };
}
