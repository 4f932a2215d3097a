import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { commandSubject, encode, InboxCommand, SessionId, type Naming } from '@signalbox/events';
import { z } from 'zod';
import { traceHeaders } from './trace-headers.ts';

/** A command that is not one a session takes (unknown type, a field out of bounds, another session's id): nothing was sent. */
export class InvalidCommandError extends Error {
  override readonly name = 'InvalidCommandError';
  readonly code = 'invalid_command';
}

export interface SendToSessionOptions {
  /**
   * Deduplicates the send: the inbox stream drops a second message with this id within its
   * duplicate window, so a retried send is applied once. Name what the command answers (a call id,
   * a decision); a new id per send when absent.
   */
  messageId?: string;
  /** The W3C trace context of the span that sends it, when traced: a turn the command starts is traced under it. */
  traceparent?: string | undefined;
}

export interface SentCommand {
  /** The message id it was sent with. */
  messageId: string;
  /** True when the stream already held a message of this id: this send changed nothing. */
  duplicate: boolean;
}

/**
 * Sends `command` to `sessionId`'s inbox (`sbx.inbox.<sessionId>`), the one way a service acts on a
 * session: the session actor applies it and records what it did in the session's log. The command is
 * validated against its schema first and nothing is sent when it fails (InvalidCommandError). Resolves
 * once the inbox stream has stored it; a command the actor then cannot apply lands in `sbx.dlq.inbox`
 * with the reason.
 */
export async function sendToSession(
  nc: NatsConnection,
  names: Naming,
  sessionId: string,
  command: InboxCommand,
  options: SendToSessionOptions = {},
): Promise<SentCommand> {
  const target = SessionId.safeParse(sessionId);
  if (!target.success) throw invalid(`${JSON.stringify(String(sessionId).slice(0, 140))} is not a session id`, target.error);
  const parsed = InboxCommand.safeParse(command);
  if (!parsed.success) throw invalid(`not a command session ${sessionId} takes`, parsed.error);
  if (parsed.data.sessionId !== sessionId) throw new InvalidCommandError(`the command names session ${parsed.data.sessionId}, not ${sessionId}, whose inbox it was sent to`);
  const messageId = options.messageId ?? `${parsed.data.type}/${sessionId}/${crypto.randomUUID()}`;
  const subject = commandSubject(names, parsed.data);
  const ack = await jetstream(nc).publish(subject, encode(parsed.data), { msgID: messageId, ...traceHeaders(options.traceparent) });
  return { messageId, duplicate: ack.duplicate };
}

function invalid(what: string, cause: z.ZodError): InvalidCommandError {
  return new InvalidCommandError(`invalid command: ${what}: ${z.prettifyError(cause)}`, { cause });
}
