import { sendToSession, type Service } from '@signalbox/runtime';
import type { Detector } from '@signalbox/supervision';
import { watchEvent } from './core/watch.ts';
import { followLog } from './shell/follow-log.ts';
import { startGateResponder } from './shell/gate-responder.ts';
import { providerModelLookup } from '@signalbox/models';
import type { JudgeModels } from './shell/judge-models.ts';
import { startJudging } from './shell/judging.ts';
import { sessionMemory } from './shell/session-memory.ts';
import { startStalledFirings, stalledTimers } from './shell/stalled-timers.ts';
import { traceIntervention } from './shell/supervision-spans.ts';
import { WatchedSessions } from './shell/watched-sessions.ts';

export interface SupervisorOptions {
  /** Detectors of your own (`defineDetector`), run beside the built-in ones on every session. */
  detectors?: readonly Detector[];
  /** The models agents' judges name (default: the installation's providers, keyed from this process's environment). */
  judgeModels?: JudgeModels;
  /** Judge calls in flight at once (default 2), and how long each may take (default 60 s). */
  judgeConcurrency?: number;
  judgeDeadlineMs?: number;
  /** Sessions whose detectors' state a replica keeps (default 10,000); one let go is rebuilt from its log when its next event comes. */
  sessionCapacity?: number;
  /** The clock the stalled timers are armed by (ms); injected by tests. */
  clock?: () => number;
}

/** Enough for the sessions a replica runs at once, and a bound (a few MB) on those abandoned mid-run. */
const defaultSessionCapacity = 10_000;

/**
 * Watches every session while it runs: its log, through the event subscriber, folded into the
 * detectors of `@signalbox/supervision` (repetition, no progress, error spiral, waste, stalled, the
 * judge, and yours), configured per agent under `supervision:`. A finding becomes an intervention on
 * the session's `.supervisor` subject, its message id its detector and first event of evidence: a
 * replica that crashes and is handed the session again sends it again, and it lands once. A running
 * session's stalled timer is armed again after each event, and its firings are sent on the same way.
 * For agents with `supervision.gate`, it also answers the actor's gate requests about the sessions it follows.
 * Traced, each intervention is an `intervene <detector>` span under the event that set it off.
 */
export function supervisorService(options: SupervisorOptions = {}): Service {
  const detectors = options.detectors ?? [];
  return {
    name: 'supervisor',
    start: async (context) => {
      const { nc, names, logger, config, store } = context;
      const watched = new WatchedSessions(options.sessionCapacity ?? defaultSessionCapacity);
      const sessions = sessionMemory(store, watched, detectors);
      const gate = startGateResponder(context, watched);
      const models = options.judgeModels ?? providerModelLookup(config.models);
      const judging = startJudging({ ...context, models, concurrency: options.judgeConcurrency ?? 2, deadlineMs: options.judgeDeadlineMs ?? 60_000, maxWaiting: 1_000 });
      const timers = stalledTimers(nc, names, logger, options.clock ?? Date.now);
      const firings = await startStalledFirings(nc, names, logger, context.metrics, context.tracing?.tracer);
      const following = await followLog(context, 'supervisor', (partitions) => gate.follow(partitions), async (event, delivery) => {
        const { session, effects, judge } = watchEvent(await sessions.before(event), event, detectors);
        // Off the handler, so the model call holds up neither this session's other detectors nor other sessions; and not
        // while catching up on a session's earlier events, whose judgements may come later in the log (a call costs money).
        if (judge && delivery.source === 'stream') judging.request(event.sessionId, judge);
        for (const effect of effects) {
          if (effect.type !== 'Intervene') {
            timers.perform(effect, event.traceparent);
            continue;
          }
          const { sessionId, messageId, command } = effect;
          logger.info({ sessionId, correlationId: event.correlationId, detector: command.detector, action: command.action, evidence: command.evidence }, 'intervening');
          await traceIntervention(context.tracing?.tracer, event, command, (traceparent) => sendToSession(nc, names, sessionId, command, { messageId, traceparent }));
        }
        // Kept only once its interventions are sent: an event retried after a failed send finds them again.
        sessions.keep(event.sessionId, session);
        if (!session) judging.forget(event.sessionId);
      });
      return {
        stop: async () => {
          await following.stop();
          await gate.stop();
          await judging.stop();
          await timers.drain();
          await firings.stop();
        },
      };
    },
  };
}
