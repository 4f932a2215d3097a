import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { decode, InterruptCommand, type Naming } from '@signalbox/events';
import type { Logger } from './logger.ts';

/**
 * Hears interrupts on `<prefix>.interrupt.*` (core NATS, in no stream): the session actor making a
 * session's model call and the executors running its tools stop them at once. The copy on the
 * session's inbox is what records the interrupt, so one that cannot be read here is only logged.
 */
export function onInterrupts(nc: NatsConnection, names: Naming, logger: Logger, stop: (interrupt: InterruptCommand) => void): Subscription {
  return nc.subscribe(names.subjects.allInterrupts, {
    callback: (error, message) => {
      if (error) return;
      try {
        const interrupt = decode(InterruptCommand, message.data, 'interrupt');
        if (names.subjects.interrupt(interrupt.sessionId) !== message.subject) throw new Error(`an interrupt of session ${interrupt.sessionId} came on ${message.subject}`);
        stop(interrupt);
      } catch (caught) {
        logger.warn({ err: caught, subject: message.subject }, 'ignored an interrupt that could not be read');
      }
    },
  });
}
