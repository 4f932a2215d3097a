import type { NatsConnection } from '@nats-io/nats-core';
import { encode, InterruptCommand, type Naming } from '@signalbox/events';
import { sendToSession, type SentCommand } from '@signalbox/runtime';
import { requireSession, type SessionTarget } from './session-control.ts';

export interface SendOptions {
  /** Who writes, recorded in `message.received` (default `client`). */
  by?: string;
  /** Stop the running step first (as `interrupt` does) instead of queueing the message for the next turn. */
  interrupt?: boolean;
  /** Makes the send idempotent: a second send with this id within the inbox's duplicate window is dropped. */
  messageId?: string;
}

export interface InterruptOptions {
  /** Who interrupts, recorded in `session.interrupted` (default `client`). */
  by?: string;
  reason?: string;
}

export interface CloseOptions {
  /** Who closes, recorded in `session.completed` as `closedBy` (default `client`). */
  by?: string;
  reason?: string;
}

/**
 * Sends a user message to a session (decider version 9 on): an idle session starts its next turn with
 * it, a running one queues it for the turn after (or, with `interrupt`, stops the running step first).
 * Resolves once its inbox holds it; throws UnknownSessionError for a session with no log.
 */
export async function sendMessage(target: SessionTarget, sessionId: string, text: string, options: SendOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  const command = { type: 'user.message' as const, sessionId, by: options.by ?? 'client', text, ...(options.interrupt ? { interrupt: true } : {}) };
  const sent = await sendToSession(target.nc, target.names, sessionId, command, options.messageId === undefined ? {} : { messageId: options.messageId });
  // After the inbox holds the message, as for `interruptSession`: a stopped call's failure must come after it.
  if (options.interrupt) heardAtOnce(target.nc, target.names, interruptOf(sessionId, { by: options.by, reason: 'a message cut in' }));
  return sent;
}

/**
 * Stops a session's current step: the core subject `<prefix>.interrupt.<sessionId>` reaches the actor
 * making its model call and the executors running its tools at once, and the session's inbox records
 * it (one interrupt, by its id, whichever arrives first). The session then waits for the next message.
 */
export async function interruptSession(target: SessionTarget, sessionId: string, options: InterruptOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  const command = interruptOf(sessionId, options);
  // The inbox copy first: an executor that hears the core message fails its call on the same inbox, and
  // that failure must come after the interrupt there, or the session would take it as the tool's answer.
  const sent = await sendToSession(target.nc, target.names, sessionId, command, { messageId: `interrupt/${sessionId}/${command.interruptId}` });
  heardAtOnce(target.nc, target.names, command);
  return sent;
}

export interface SignalOptions {
  /** Who signals, recorded in `signal.received` (default `client`). */
  by?: string;
  /** What the waiting `wait.signal` call returns (empty when left out). */
  payload?: string;
}

/**
 * Sends a named signal (decider version 9 on): a `wait.signal` call waiting for that name completes with
 * the payload; with none waiting, the session keeps it for its next wait of that name.
 */
export async function signalSession(target: SessionTarget, sessionId: string, name: string, options: SignalOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  return sendToSession(target.nc, target.names, sessionId, { type: 'signal', sessionId, name, by: options.by ?? 'client', ...(options.payload === undefined ? {} : { payload: options.payload }) });
}

/** Ends a conversation: an idle session completes with its last answer, a running one is stopped and ends aborted. */
export async function closeSession(target: SessionTarget, sessionId: string, options: CloseOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  return sendToSession(target.nc, target.names, sessionId, { type: 'close', sessionId, by: options.by ?? 'client', reason: options.reason ?? '' });
}

function interruptOf(sessionId: string, options: InterruptOptions): InterruptCommand {
  return InterruptCommand.parse({ type: 'interrupt', sessionId, by: options.by ?? 'client', reason: options.reason ?? '', interruptId: crypto.randomUUID() });
}

/** Core NATS: heard by whoever runs the session's step now, and lost if nobody does (the inbox copy records it). */
function heardAtOnce(nc: NatsConnection, names: Naming, command: InterruptCommand): void {
  nc.publish(names.subjects.interrupt(command.sessionId), encode(command));
}
