import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { CancelledCallId, encode, maxCancelledCalls, type CallsCancelled, type InterruptCommand, type Naming } from '@signalbox/events';
import type { Interrupt, SessionEffect } from '@signalbox/session';
import { onInterrupts, type Logger } from '@signalbox/runtime';
import type { InterruptsOnTheWay } from './interrupts-on-the-way.ts';

/** Why a model call was abandoned: the interrupt that stopped it, as the signal's reason. */
export class InterruptedCall extends Error {
  override readonly name = 'InterruptedCall';
  readonly interrupt: Interrupt;

  constructor(interrupt: Interrupt) {
    super(`interrupted by ${interrupt.by}`);
    this.interrupt = interrupt;
  }
}

/**
 * The model calls this actor is making, by session, so an interrupt heard on the core subject can
 * abandon the one in flight (the provider's HTTP request is aborted). The actor is the only one that
 * can: it holds the session while the call runs, so a command on the inbox would wait for the reply.
 */
export class InFlightCalls {
  readonly #controllers = new Map<string, AbortController>();

  /** The signal the session's next model call runs with, until `end`. */
  begin(sessionId: string): AbortSignal {
    const controller = new AbortController();
    this.#controllers.set(sessionId, controller);
    return controller.signal;
  }

  end(sessionId: string, signal: AbortSignal): void {
    if (this.#controllers.get(sessionId)?.signal === signal) this.#controllers.delete(sessionId);
  }

  stop(sessionId: string, interrupt: Interrupt): void {
    this.#controllers.get(sessionId)?.abort(new InterruptedCall(interrupt));
  }
}

/** What an interrupt heard on the core subject acts on here: the model calls in flight, and the tool results it must come before. */
export interface InterruptTargets {
  calls: InFlightCalls;
  onTheWay: InterruptsOnTheWay;
}

/** Stops the call in flight here of each session an interrupt heard on the core subject names, and holds its tool results until the interrupt is applied. */
export function listenForInterrupts(nc: NatsConnection, names: Naming, targets: InterruptTargets, logger: Logger): Subscription {
  return onInterrupts(nc, names, logger, (interrupt) => {
    targets.onTheWay.heard(interrupt.sessionId, interrupt.interruptId);
    targets.calls.stop(interrupt.sessionId, interrupt);
  });
}

/**
 * Performs a decision's `StopStep`: the core message reaches the actor making the call (maybe this one)
 * and the executors running the tools; a second one, on the subject only actors may publish, names the
 * calls the interrupt cancelled (maybe none), so an executor that takes one later (queued behind others,
 * say) answers it as stopped without running it, and one that held the session's calls lets them go.
 */
export function stopSteps(nc: NatsConnection, names: Naming, targets: InterruptTargets, effects: readonly SessionEffect[]): void {
  for (const effect of effects) {
    if (effect.type !== 'StopStep') continue;
    // Applied: the core message below, heard here too, must not hold the session's results back.
    targets.onTheWay.applied(effect.sessionId, effect.interrupt.interruptId);
    targets.calls.stop(effect.sessionId, effect.interrupt);
    const command: InterruptCommand = { type: 'interrupt', sessionId: effect.sessionId, ...effect.interrupt };
    nc.publish(names.subjects.interrupt(effect.sessionId), encode(command));
    sendCancelledCalls(nc, names, { sessionId: effect.sessionId, by: effect.interrupt.by, calls: effect.calls });
  }
}

/**
 * Tells the executors which calls of the session an interrupt this actor applied cancelled (maybe none):
 * those never begin, and the session's calls an executor held back once it heard the interrupt go on.
 */
export function sendCancelledCalls(nc: NatsConnection, names: Naming, applied: Omit<CallsCancelled, 'type'>): void {
  const calls = applied.calls.filter((callId) => CancelledCallId.safeParse(callId).success).slice(0, maxCancelledCalls);
  const cancelled: CallsCancelled = { type: 'calls.cancelled', ...applied, calls };
  nc.publish(names.subjects.cancelledCalls(applied.sessionId), encode(cancelled));
}
