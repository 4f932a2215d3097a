import { sendToSession, type Service } from '@signalbox/runtime';
import type { Detector } from '@signalbox/supervision';
import { watchEvent } from './core/watch.ts';
import { followLog } from './shell/follow-log.ts';
import { sessionMemory } from './shell/session-memory.ts';
import { startStalledFirings, stalledTimers } from './shell/stalled-timers.ts';

export interface SupervisorOptions {
  /** Detectors of your own (`defineDetector`), run beside the built-in ones on every session. */
  detectors?: readonly Detector[];
  /** Sessions whose detectors' state a replica keeps (default 10,000); one let go is rebuilt from its log when its next event comes. */
  sessionCapacity?: number;
  /** The clock the stalled timers are armed by (ms); injected by tests. */
  clock?: () => number;
}

/** Enough for the sessions a replica runs at once, and a bound (a few MB) on those abandoned mid-run. */
const defaultSessionCapacity = 10_000;

/**
 * Watches every session while it runs: its log, through the event subscriber, folded into the
 * detectors of `@signalbox/supervision` (repetition, no progress, error spiral, waste, and yours),
 * configured per agent under `supervision:`. A finding becomes an intervention on the session's
 * `.supervisor` subject, its message id its detector and first event of evidence: a replica that
 * crashes and is handed the session again sends it again, and it lands once. A running session's
 * stalled timer is armed again after each event, and its firings are sent on the same way.
 */
export function supervisorService(options: SupervisorOptions = {}): Service {
  const detectors = options.detectors ?? [];
  return {
    name: 'supervisor',
    start: async (context) => {
      const { nc, names, logger, store } = context;
      const sessions = sessionMemory(store, options.sessionCapacity ?? defaultSessionCapacity, detectors);
      const timers = stalledTimers(nc, names, logger, options.clock ?? Date.now);
      const firings = await startStalledFirings(nc, names, logger);
      const following = await followLog(context, 'supervisor', async (event) => {
        const { session, effects } = watchEvent(await sessions.before(event), event, detectors);
        for (const effect of effects) {
          if (effect.type !== 'Intervene') {
            timers.perform(effect);
            continue;
          }
          const { sessionId, messageId, command } = effect;
          logger.info({ sessionId, correlationId: event.correlationId, detector: command.detector, action: command.action, evidence: command.evidence }, 'intervening');
          await sendToSession(nc, names, sessionId, command, { messageId });
        }
        // Kept only once its interventions are sent: an event retried after a failed send finds them again.
        sessions.keep(event.sessionId, session);
      });
      return {
        stop: async () => {
          await following.stop();
          await timers.drain();
          await firings.stop();
        },
      };
    },
  };
}
