import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JetStreamPublishOptions } from '@nats-io/jetstream';
import { ScheduledCommand, TimerId, type InboxCommand, type Naming } from '@signalbox/events';
import { ulid } from 'ulid';
import { z } from 'zod';

/** A timer that cannot be scheduled or cancelled as asked (a bad id, session, time or command). */
export class InvalidTimerError extends Error {
  override readonly name = 'InvalidTimerError';
  readonly code = 'invalid_timer';
  constructor(cause: z.ZodError) {
    super(`invalid timer: ${z.prettifyError(cause)}`, { cause });
  }
}

export interface ScheduleCommandOptions {
  /** Names the timer, to cancel it or to replace it by scheduling again; a new ULID when absent. */
  timerId?: string;
  /** Fires again every this many ms (at least 1,000) until cancelled. */
  everyMs?: number;
}

/**
 * Sends `command` to `sessionId`'s inbox at `at`, durably: the timer is a message schedule in the
 * timers stream, so it fires whether or not any process was running when it came due. Resolves
 * with the timer's id. A timer of the same id is replaced.
 */
export async function scheduleCommand(
  nc: NatsConnection,
  names: Naming,
  sessionId: string,
  at: Date | number,
  command: InboxCommand,
  options: ScheduleCommandOptions = {},
): Promise<string> {
  const input = { timerId: options.timerId ?? ulid(), sessionId, at: at instanceof Date ? at.getTime() : at, command, everyMs: options.everyMs };
  const parsed = ScheduledCommand.safeParse(input);
  if (!parsed.success) throw new InvalidTimerError(parsed.error);
  const timer = parsed.data;
  // A cancel marker left by an earlier timer of this id would make the forwarder drop this one's firings.
  await purgeSubject(await jetstreamManager(nc), names, names.subjects.timerCancelled(timer.timerId));
  // A schedule replaces the one on its subject (measured on nats-server 2.15.1).
  await armTimer(jetstream(nc), names, timer);
  return timer.timerId;
}

/** How long a cancel marker is kept: far longer than a firing already taken by the forwarder can take to handle. */
const cancelMarkerTtl = '1h';

/**
 * Cancels a timer: it does not fire again, and a firing not yet delivered is dropped. A firing the
 * forwarder has already sent to the inbox stays sent. Cancelling a timer that does not exist is no error.
 */
export async function cancelTimer(nc: NatsConnection, names: Naming, timerId: string): Promise<void> {
  const parsed = TimerId.safeParse(timerId);
  if (!parsed.success) throw new InvalidTimerError(parsed.error);
  // The marker first: a firing that slips in before the purges below finds it and is dropped, and a
  // recurring timer's re-arm, which expects its firing to be the timer's last message, fails.
  await jetstream(nc).publish(names.subjects.timerCancelled(timerId), undefined, { ttl: cancelMarkerTtl });
  const jsm = await jetstreamManager(nc);
  await purgeSubject(jsm, names, names.subjects.timerSchedule(timerId));
  await purgeSubject(jsm, names, names.subjects.timerDue(timerId));
}

/** Publishes `timer`'s schedule, which the server turns into a message on the timer's `.due` subject at `timer.at`. */
export async function armTimer(js: JetStreamClient, names: Naming, timer: ScheduledCommand, expect?: JetStreamPublishOptions['expect']): Promise<void> {
  await js.publish(names.subjects.timerSchedule(timer.timerId), JSON.stringify(timer), {
    schedule: { specification: new Date(timer.at), target: names.subjects.timerDue(timer.timerId) },
    ...(expect ? { expect } : {}),
  });
}

async function purgeSubject(jsm: JetStreamManager, names: Naming, subject: string): Promise<void> {
  await jsm.streams.purge(names.streams.timers, { filter: subject });
}
