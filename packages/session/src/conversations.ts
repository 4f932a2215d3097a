import { isBuiltInTool, type NewEvent, type Usage } from '@signalbox/events';
import { completed, nothing, recordThenContinue, type Decision, type SessionEffect } from './next-step.ts';
import { isHeld } from './approvals.ts';
import { unansweredCalls } from './turns.ts';
import type { ActiveState } from './state.ts';

/** The decider version from which sessions take messages, interrupts and closes (#20). */
export const conversationsFrom = 9;

/** How long a session interrupted, whose agent keeps no conversation, waits for a message before it is closed. */
export const defaultIdleTimeoutMs = 3_600_000;

/** Who closes a session that waited idle past its timeout. */
export const idleTimeoutBy = 'idle-timeout';

export interface UserMessage {
  text: string;
  by: string;
  /** The inbox message that carried it: delivered again, it is recorded once. */
  messageId: string;
  /** Stop the running step first, instead of queueing the message for the next turn. */
  interrupt?: boolean | undefined;
}

export interface Interrupt {
  by: string;
  reason: string;
  interruptId: string;
  /** What the abandoned model call cost, as far as its provider reported it (the actor making it knows). */
  usage?: Usage | undefined;
  costUsd?: number | undefined;
}

export interface Close {
  by: string;
  reason: string;
  /** The idle timer's: applies only while the session is still idle since this event. */
  ifIdleSince?: number | undefined;
}

/** Whether the session takes messages, interrupts and closes (decider version 9 on). */
export function takesConversations(state: Pick<ActiveState, 'deciderVersion'>): boolean {
  return state.deciderVersion >= conversationsFrom;
}

/** Whether an answer leaves the session idle, waiting for the next message, instead of ending it. */
export function keepsOpen(state: ActiveState): boolean {
  return takesConversations(state) && state.agent.conversation !== undefined;
}

/** Records a message: an idle session's next turn starts with it; a running one queues it, or is interrupted first when the message says so. */
export function receiveMessage(state: ActiveState, message: UserMessage): Decision {
  if (!takesConversations(state) || state.status === 'completed' || state.received.includes(message.messageId)) return nothing;
  const received: NewEvent = { type: 'message.received', data: { text: message.text, by: message.by, messageId: message.messageId } };
  if (!message.interrupt || !isInterruptible(state)) return recordThenContinue(state, received);
  const stop: Interrupt = { by: message.by, reason: 'a message cut in', interruptId: tokenOf(`message-${message.messageId}`) };
  // Queued first, so the turn the interrupt starts reads it (with any queued before it).
  const rest = recordThenContinue(state, received, interruptEvent(state, stop));
  return { events: rest.events, effects: [...stopEffects(state, stop), ...rest.effects] };
}

/**
 * Stops the running step: the model call is abandoned and the calls running are told to stop, then
 * the session goes on with the messages that came meanwhile, else waits. An idle session, or one
 * waiting for its grade, has no step to stop; an interrupt already recorded records nothing.
 */
export function interrupt(state: ActiveState, command: Interrupt): Decision {
  if (!takesConversations(state) || !isInterruptible(state) || state.interrupts.includes(command.interruptId)) return nothing;
  const rest = recordThenContinue(state, interruptEvent(state, command));
  const { by, reason, interruptId } = command;
  return { events: rest.events, effects: [...stopEffects(state, { by, reason, interruptId }), ...rest.effects] };
}

/** Ends the session: an idle one succeeds with its last answer, a running one is stopped and ends aborted. */
export function close(state: ActiveState, command: Close): Decision {
  if (!takesConversations(state) || state.status === 'completed') return nothing;
  if (command.ifIdleSince !== undefined && !(state.status === 'idle' && state.idleSince === command.ifIdleSince)) return nothing;
  const reason = command.reason === '' ? `closed by ${command.by}` : command.reason;
  const disarm: SessionEffect = { type: 'CloseIdle', sessionId: state.sessionId };
  if (state.status === 'idle') {
    const output = state.output === '' ? {} : { output: state.output };
    return { events: [completed(state, 'succeeded', { ...output, reason, closedBy: command.by })], effects: [disarm] };
  }
  const stop: Interrupt = { by: command.by, reason, interruptId: 'close' };
  return { events: [completed(state, 'aborted', { reason, closedBy: command.by })], effects: [disarm, ...stopEffects(state, stop)] };
}

/** The idle timer that closes the session if no message comes in time; armed again, it replaces itself. */
export function awaitMessage(state: Extract<ActiveState, { status: 'idle' }>): SessionEffect {
  const timeoutMs = state.agent.conversation?.idleTimeoutMs ?? defaultIdleTimeoutMs;
  return { type: 'AwaitIdle', sessionId: state.sessionId, idleSince: state.idleSince, deadline: state.clock.latestAt + timeoutMs, timeoutMs };
}

function isInterruptible(state: ActiveState): boolean {
  return state.status === 'awaiting_model' || state.status === 'awaiting_tools' || state.status === 'deciding';
}

function interruptEvent(state: ActiveState, { by, reason, interruptId, usage, costUsd }: Interrupt): NewEvent {
  const callId = state.status === 'awaiting_model' ? { callId: state.callId } : {};
  const spent = state.status === 'awaiting_model' && usage !== undefined ? { usage, costUsd: costUsd ?? 0 } : {};
  return { type: 'session.interrupted', data: { by, reason, interruptId, ...callId, cancelledCalls: unansweredCalls(state), ...spent } };
}

/** Tell the actor making the model call and the executors running the tools to stop; a call held for a person no longer waits. */
function stopEffects(state: ActiveState, stop: Interrupt): SessionEffect[] {
  const pending = state.status === 'awaiting_tools' ? state.pending : [];
  const approvals = pending.filter(isHeld).map((call): SessionEffect => ({ type: 'CloseApproval', approvalId: call.approval.approvalId }));
  const waits = pending.filter((call) => isBuiltInTool(call.tool)).map((call): SessionEffect => ({ type: 'CancelWake', sessionId: state.sessionId, callId: call.callId }));
  return [{ type: 'StopStep', sessionId: state.sessionId, interrupt: stop, calls: unansweredCalls(state) }, ...approvals, ...waits];
}

/** An id an interrupt command can carry (letters, digits, `-`, `_`; at most 100): a message's id is `<stream>/<sequence>`. */
function tokenOf(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '-').slice(-100);
}
