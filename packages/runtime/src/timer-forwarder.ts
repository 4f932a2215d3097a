import { headers, type NatsConnection } from '@nats-io/nats-core';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { DecodeError, encode, parseJson, ScheduledCommand, timerHeader, validate, type Naming } from '@signalbox/events';
import { Rejection } from './dead-letter.ts';
import { startDurableWorker, type RunningWorker } from './durable-worker.ts';
import type { Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { armTimer } from './timers.ts';

export interface TimerForwarderOptions {
  nc: NatsConnection;
  names: Naming;
  logger: Logger;
  ackWaitMs?: number;
  clock?: () => number;
  metrics?: RuntimeMetrics;
}

interface ForwarderDeps {
  nc: NatsConnection;
  names: Naming;
  jsm: JetStreamManager;
  clock: () => number;
}

/**
 * Delivers fired timers: each message the server produces on a timer's `.due` subject becomes its
 * command on the session's inbox, unless the timer was cancelled; a recurring timer is armed again.
 * Every replica shares one durable, so a firing is handled by one of them.
 */
export async function startTimerForwarder(options: TimerForwarderOptions): Promise<RunningWorker> {
  const { nc, names, logger } = options;
  const deps = { nc, names, jsm: await jetstreamManager(nc), clock: options.clock ?? Date.now };
  return startDurableWorker({
    nc,
    names,
    logger,
    stream: names.streams.timers,
    durable: 'timer-forwarder',
    filterSubject: names.subjects.dueTimers,
    deadLetterSource: 'timers',
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    handle: (message) => forwardFiring(deps, message),
  });
}

async function forwardFiring(deps: ForwarderDeps, message: JsMsg): Promise<void> {
  const timer = parseFiring(deps.names, message);
  if (await isCancelled(deps, timer.timerId)) return;
  const hdrs = headers();
  hdrs.set(timerHeader, timer.timerId);
  // The same id on every redelivery: the inbox's duplicate window keeps a firing from arriving twice.
  await jetstream(deps.nc).publish(deps.names.subjects.inbox(timer.sessionId), encode(timer.command), {
    headers: hdrs,
    msgID: `timer/${timer.timerId}/${timer.at}`,
  });
  if (timer.everyMs !== undefined) await rearm(deps, timer, timer.everyMs, message.seq);
}

/** The firing's timer; anything else is rejected, and so dead-lettered with the reason. */
function parseFiring(names: Naming, message: JsMsg): ScheduledCommand {
  let timer: ScheduledCommand;
  try {
    timer = validate(ScheduledCommand, parseJson(message.data, 'fired timer'), 'fired timer');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
  // A payload naming another timer must not re-arm that one or dodge its cancel.
  if (message.subject !== names.subjects.timerDue(timer.timerId)) {
    throw new Rejection(`fired timer "${timer.timerId}" arrived on ${message.subject}, not on its own subject`);
  }
  return timer;
}

async function isCancelled(deps: ForwarderDeps, timerId: string): Promise<boolean> {
  const marker = await deps.jsm.direct.getMessage(deps.names.streams.timers, { last_by_subj: deps.names.subjects.timerCancelled(timerId) });
  return marker !== null;
}

/**
 * Schedules the next firing, unless something happened to the timer since this one fired (a
 * cancel, or a new schedule of the same id): then the firing is no longer the timer's last message.
 */
async function rearm(deps: ForwarderDeps, timer: ScheduledCommand, everyMs: number, firingSeq: number): Promise<void> {
  const next = { ...timer, at: nextFiring(timer.at, everyMs, deps.clock()) };
  const expect = { lastSubjectSequence: firingSeq, lastSubjectSequenceSubject: deps.names.subjects.timer(timer.timerId) };
  try {
    await armTimer(jetstream(deps.nc), deps.names, next, expect);
  } catch (error) {
    // Cancelled or replaced meanwhile, or re-armed already by an earlier delivery of this firing.
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) return;
    throw error;
  }
}

/** The first firing after `now`, so a forwarder that was down catches up with one firing, not a burst. */
export function nextFiring(at: number, everyMs: number, now: number): number {
  const missed = Math.max(0, Math.floor((now - at) / everyMs));
  return at + (missed + 1) * everyMs;
}
