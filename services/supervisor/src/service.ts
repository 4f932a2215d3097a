import { sendToSession, type Service } from '@signalbox/runtime';
import type { Detector } from '@signalbox/supervision';
import { watchEvent } from './core/watch.ts';
import { followLog } from './shell/follow-log.ts';
import { startGateResponder } from './shell/gate-responder.ts';
import { WatchedSessions } from './shell/watched-sessions.ts';

export interface SupervisorOptions {
  /** Detectors of your own (`defineDetector`), run beside the built-in ones on every session. */
  detectors?: readonly Detector[];
}

/**
 * Watches every session while it runs: its log, through the event subscriber, folded into the
 * detectors of `@signalbox/supervision` (repetition, no progress, error spiral, waste, and yours),
 * configured per agent under `supervision:`. A finding becomes an intervention on the session's
 * `.supervisor` subject, its message id its detector and first event of evidence: a replica that
 * crashes and is handed the session again sends it again, and it lands once. For agents with
 * `supervision.gate`, it also answers the actor's gate requests about the sessions it follows.
 */
export function supervisorService(options: SupervisorOptions = {}): Service {
  const detectors = options.detectors ?? [];
  return {
    name: 'supervisor',
    start: async (context) => {
      const { nc, names, logger } = context;
      const sessions = new WatchedSessions();
      const gate = startGateResponder(context, sessions);
      const following = await followLog(context, 'supervisor', (partitions) => gate.follow(partitions), async (event) => {
        const { session, effects } = watchEvent(sessions.get(event.sessionId), event, detectors);
        for (const { sessionId, messageId, command } of effects) {
          logger.info({ sessionId, correlationId: event.correlationId, detector: command.detector, action: command.action, evidence: command.evidence }, 'intervening');
          await sendToSession(nc, names, sessionId, command, { messageId });
        }
        // Kept only once its interventions are sent: an event retried after a failed send finds them again.
        sessions.set(event.sessionId, session);
      });
      return {
        stop: async () => {
          await following.stop();
          await gate.stop();
        },
      };
    },
  };
}
