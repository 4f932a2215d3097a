import { assertNever, type SessionEvent } from '@signalbox/events';
import { sendToSession, type Service } from '@signalbox/runtime';
import { decide, evolve, initialState, type DeadlineEffect } from './core/overdue-calls.ts';
import { followLog } from './shell/follow-log.ts';

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
    start: async (context) => {
      const { nc, names, logger } = context;
      let state = initialState(options.deadlineMs ?? 300_000);
      const onEvent = (event: SessionEvent) => {
        state = evolve(state, event);
      };
      const following = await followLog(context, 'tool-deadline', onEvent);

      const perform = async (effect: DeadlineEffect): Promise<void> => {
        switch (effect.type) {
          case 'SendToSession':
            await sendToSession(nc, names, effect.sessionId, effect.command, { messageId: effect.messageId });
            return;
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
          await following.stop();
          await checking;
        },
      };
    },
  };
}
