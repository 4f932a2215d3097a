import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { CallsCancelled, decode, type Naming } from '@signalbox/events';
import { onInterrupts, type Logger } from '@signalbox/runtime';
import { ToolInterruptedError } from './execute.ts';
import type { RunningCalls } from './running-calls.ts';

/**
 * What an executor hears of interrupts, on core NATS: an interrupt (`<prefix>.interrupt.<sessionId>`)
 * stops the session's calls running here, and holds the next ones back until the actor that records it
 * names the calls it cancelled (`<prefix>.interrupt.<sessionId>.cancelled`), which then begin already
 * stopped. One that cannot be read is only logged: the session's log holds the interrupt whatever an
 * executor heard, and a held call waits `cancellationWaitMs` at most.
 */
export function hearInterrupts(nc: NatsConnection, names: Naming, running: RunningCalls, logger: Logger): Subscription[] {
  const interrupts = onInterrupts(nc, names, logger, ({ sessionId, by }) => running.stop(sessionId, new ToolInterruptedError(by)));
  const cancellations = nc.subscribe(names.subjects.allCancelledCalls, {
    callback: (error, message) => {
      if (error) return;
      try {
        const cancelled = decode(CallsCancelled, message.data, 'cancelled calls');
        if (names.subjects.cancelledCalls(cancelled.sessionId) !== message.subject) throw new Error(`calls of session ${cancelled.sessionId} cancelled on ${message.subject}`);
        running.cancel(cancelled.sessionId, new ToolInterruptedError(cancelled.by), cancelled.calls);
      } catch (caught) {
        logger.warn({ err: caught, subject: message.subject }, 'ignored cancelled calls that could not be read');
      }
    },
  });
  return [interrupts, cancellations];
}
