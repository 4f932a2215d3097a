import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ApprovalDecisionCommand, Naming } from '@signalbox/events';
import { cancelTimer, scheduleCommand } from '@signalbox/runtime';
import { approvalTimeoutBy, type SessionEffect } from '@signalbox/session';

/** Arms and disarms the timers that deny calls held for approval at their deadlines. */
export interface ApprovalTimers {
  perform(effects: readonly SessionEffect[]): Promise<void>;
}

/** How soon a timer whose deadline has passed (armed again after an outage) fires: at once, but after this append. */
const overdueDelayMs = 1_000;

/**
 * The durable timer primitive (runtime `scheduleCommand`) behind approval deadlines: the denial is a
 * message schedule in the timers stream, so it fires whether or not any actor runs at the deadline.
 * A timer armed again replaces itself (its id is the approval's); one left after an answer sends a
 * denial the session ignores, as the call is no longer held.
 */
export function liveApprovalTimers(nc: NatsConnection, names: Naming, clock: () => number): ApprovalTimers {
  return {
    perform: async (effects) => {
      for (const effect of effects) {
        if (effect.type === 'AwaitApproval') {
          const { sessionId, approvalId, deadline } = effect;
          const denial: ApprovalDecisionCommand = { type: 'approval.decision', sessionId, approvalId, approved: false, by: approvalTimeoutBy };
          await scheduleCommand(nc, names, sessionId, Math.max(deadline, clock() + overdueDelayMs), denial, { timerId: approvalTimerId(approvalId) });
        } else if (effect.type === 'CloseApproval') {
          await cancelTimer(nc, names, approvalTimerId(effect.approvalId));
        }
      }
    },
  };
}

/** A timer id (one subject token) for an approval id, which holds a `:`. */
export function approvalTimerId(approvalId: string): string {
  return `approval-${createHash('sha256').update(approvalId).digest('hex').slice(0, 32)}`;
}
