import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ApprovalDecisionCommand, CloseCommand, Naming, ToolResult } from '@signalbox/events';
import { cancelTimer, scheduleCommand } from '@signalbox/runtime';
import { approvalTimeoutBy, idleTimeoutBy, type SessionEffect } from '@signalbox/session';

/** Arms and disarms a session's timers: approval deadlines, a conversation's idle timeout, built-in waits. */
export interface SessionTimers {
  perform(effects: readonly SessionEffect[]): Promise<void>;
}

/** How soon a timer whose deadline has passed (armed again after an outage) fires: at once, but after this append. */
const overdueDelayMs = 1_000;

/**
 * The durable timer primitive (runtime `scheduleCommand`): each timer is a message schedule in the
 * timers stream, so it fires whether or not any actor runs at its deadline. A timer armed again
 * replaces itself (its id is the approval's, or the session's). One left behind sends a command the
 * session ignores: a denial of a call no longer held, a close of a session no longer idle since the
 * event the timer names.
 */
export function liveSessionTimers(nc: NatsConnection, names: Naming, clock: () => number): SessionTimers {
  const arm = (sessionId: string, deadline: number, command: ApprovalDecisionCommand | CloseCommand | ToolResult, timerId: string) =>
    scheduleCommand(nc, names, sessionId, Math.max(deadline, clock() + overdueDelayMs), command, { timerId });
  return {
    perform: async (effects) => {
      for (const effect of effects) {
        if (effect.type === 'AwaitApproval') {
          const { sessionId, approvalId, deadline } = effect;
          await arm(sessionId, deadline, { type: 'approval.decision', sessionId, approvalId, approved: false, by: approvalTimeoutBy }, approvalTimerId(approvalId));
        } else if (effect.type === 'CloseApproval') {
          await cancelTimer(nc, names, approvalTimerId(effect.approvalId));
        } else if (effect.type === 'AwaitIdle') {
          const { sessionId, idleSince, deadline, timeoutMs } = effect;
          await arm(sessionId, deadline, { type: 'close', sessionId, by: idleTimeoutBy, reason: `closed after ${timeoutMs} ms idle`, ifIdleSince: idleSince }, idleTimerId(sessionId));
        } else if (effect.type === 'CloseIdle') {
          await cancelTimer(nc, names, idleTimerId(effect.sessionId));
        } else if (effect.type === 'WakeAt') {
          const { sessionId, callId, tool, at, outcome, durationMs } = effect;
          await arm(sessionId, at, { type: 'tool.result', sessionId, callId, tool, outcome, durationMs }, wakeTimerId(sessionId, callId));
        } else if (effect.type === 'CancelWake') {
          await cancelTimer(nc, names, wakeTimerId(effect.sessionId, effect.callId));
        }
      }
    },
  };
}

/** A timer id (one subject token) for an approval id, which holds a `:`. */
export function approvalTimerId(approvalId: string): string {
  return `approval-${hashed(approvalId)}`;
}

/** A session's idle timer id: one subject token of at most 100 characters (a session id may have 128). */
export function idleTimerId(sessionId: string): string {
  return `idle-${hashed(sessionId)}`;
}

/** A built-in wait's timer id: its session and call (a model chose the call's id, so it may hold anything). */
export function wakeTimerId(sessionId: string, callId: string): string {
  return `wake-${hashed(`${sessionId}/${callId}`)}`;
}

function hashed(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}
