import type { Tracer } from '@opentelemetry/api';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { decode, DecodeError, encode, InterventionCommand, type Naming } from '@signalbox/events';
import { Rejection, sendToSession, startDurableWorker, traceHeaders, type Logger, type RunningWorker, type RuntimeMetrics } from '@signalbox/runtime';
import type { StalledEffect } from '../core/stalled.ts';
import { traceIntervention } from './supervision-spans.ts';

/** How soon a timer whose time has passed (armed while catching up on an old log) fires: at once, after this event. */
const overdueDelayMs = 1_000;

/** A session's stalled timer, armed or cancelled in the background; `drain` waits for what is on its way. */
export interface StalledTimers {
  /** `traceparent`: the span of the event that arms the timer, which its firing carries (the server copies a schedule's headers). */
  perform(effect: StalledEffect, traceparent?: string): void;
  drain(): Promise<void>;
}

/**
 * Arms and cancels a session's stalled timer: a message schedule on the session's own subject in the
 * timers stream (`<prefix>.timers.stalled.<session>.at`), so it fires with no supervisor running at the
 * time. Arming is one publish (a schedule replaces the one on its subject); so is cancelling: a message
 * that rolls the subject up, replacing the schedule, and then expires. No purge, no cancel marker.
 * The publish is not awaited before the next event (one connection keeps a session's publishes in
 * order), and one append's events arm one timer, its last's: an event costs the supervisor no round trip.
 */
export function stalledTimers(nc: NatsConnection, names: Naming, logger: Logger, clock: () => number): StalledTimers {
  const js = jetstream(nc);
  const onTheWay = new Set<Promise<void>>();
  const publish = async ({ effect, traceparent }: PendingEffect): Promise<void> => {
    const subject = names.subjects.stalledTimer(effect.sessionId);
    if (effect.type === 'ArmStalled') {
      const at = new Date(dueAt(effect, clock()));
      const schedule = { specification: at, target: names.subjects.stalledTimerDue(effect.sessionId) };
      await js.publish(subject, encode(effect.command), { schedule, ...traceHeaders(traceparent) });
    } else {
      const rollup = headers();
      rollup.set('Nats-Rollup', 'sub');
      await js.publish(subject, undefined, { headers: rollup, ttl: '1s' });
    }
  };
  // The latest effect per session not yet sent: the events of one append come a microtask apart, and
  // only the last one's timer matters, so each session sends one publish a turn of the event loop.
  const latest = new Map<string, PendingEffect>();
  const send = (sessionId: string) => {
    const pending = latest.get(sessionId);
    latest.delete(sessionId);
    if (pending === undefined) return;
    // A lost publish leaves this head without a timer; the session's next event arms it again.
    const sent = publish(pending)
      .catch((error: unknown) => logger.warn({ err: error, sessionId, effect: pending.effect.type }, 'could not arm or cancel a stalled timer'))
      .finally(() => onTheWay.delete(sent));
    onTheWay.add(sent);
  };
  return {
    perform: (effect, traceparent) => {
      if (!latest.has(effect.sessionId)) setImmediate(() => send(effect.sessionId));
      latest.set(effect.sessionId, { effect, traceparent });
    },
    drain: async () => {
      for (const sessionId of [...latest.keys()]) send(sessionId);
      await Promise.all(onTheWay);
    },
  };
}

interface PendingEffect {
  effect: StalledEffect;
  traceparent: string | undefined;
}

/**
 * When an armed timer fires: at the event's time plus the wait, but no sooner than a moment from now
 * (an old event, read while catching up) and no later than the wait from now. The event's time is the
 * actor's clock: one running ahead of this one would otherwise put the firing off by as much, and a
 * time past what a schedule can say would be refused by the server on every event, leaving the session
 * with no timer at all.
 */
export function dueAt(effect: { at: number; afterMs: number }, now: number): number {
  return Math.min(Math.max(effect.at, now + overdueDelayMs), now + Math.max(effect.afterMs, overdueDelayMs));
}

/**
 * Sends each fired stalled timer's intervention to its session, on the supervisor's subject, with the
 * message id the supervisor gives every intervention (detector and first event of evidence). All
 * replicas share one durable. What fires is checked as any input: a stalled intervention of the
 * session whose subject it fired on, else it is dead-lettered. Traced, each is an `intervene stalled`
 * span under the event that armed the timer.
 */
export function startStalledFirings(nc: NatsConnection, names: Naming, logger: Logger, metrics: RuntimeMetrics, tracer?: Tracer): Promise<RunningWorker> {
  return startDurableWorker({
    nc,
    names,
    logger,
    metrics,
    stream: names.streams.timers,
    durable: 'supervisor-stalled',
    filterSubject: names.subjects.allStalledTimersDue,
    deadLetterSource: 'stalled-timers',
    handle: async (message) => {
      const command = firedIntervention(names, message);
      logger.info({ sessionId: command.sessionId, action: command.action, whileHeadIs: command.whileHeadIs }, 'stalled timer fired');
      const messageId = `supervisor/${command.sessionId}/${command.detector}/${command.evidence[0] ?? 0}`;
      const armedBy = { traceparent: message.headers?.get('traceparent') || undefined };
      await traceIntervention(tracer, armedBy, command, (traceparent) => sendToSession(nc, names, command.sessionId, command, { messageId, traceparent }));
    },
  });
}

function firedIntervention(names: Naming, message: JsMsg): InterventionCommand {
  let command: InterventionCommand;
  try {
    command = decode(InterventionCommand, message.data, 'stalled timer');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
  if (command.detector !== 'stalled' || message.subject !== names.subjects.stalledTimerDue(command.sessionId)) {
    throw new Rejection(`a ${command.detector} intervention for session ${command.sessionId} fired on ${message.subject}, which is not its stalled timer`);
  }
  return command;
}
