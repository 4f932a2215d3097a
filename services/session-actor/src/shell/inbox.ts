import type { JsMsg } from '@nats-io/jetstream';
import { decode, DecodeError, InboxCommand, type Naming } from '@signalbox/events';
import { Rejection } from '@signalbox/runtime';
import type { SessionRunner } from './session-runner.ts';

/** Applies a command from `sbx.inbox.<sessionId>` (a tool result, for now) to its session. */
export async function handleInboxCommand(runner: SessionRunner, message: JsMsg): Promise<void> {
  let command: InboxCommand;
  try {
    command = decode(InboxCommand, message.data, 'inbox command');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message);
    throw error;
  }
  await runner.execute(command.sessionId, { type: 'RecordToolResult', result: command }, {
    causationId: `${message.info.stream}/${message.seq}`,
    resume: message.redelivered,
  });
}

/** A command that could not be applied after every retry fails its session, with the reason, rather than leaving it waiting. */
export async function failSessionOf(runner: SessionRunner, names: Naming, message: JsMsg, reason: string): Promise<void> {
  const sessionId = message.subject.slice(names.subjects.inbox('').length);
  if (!sessionId) return;
  await runner.execute(sessionId, { type: 'FailSession', reason: `a command could not be applied: ${reason}` }, {
    causationId: `${message.info.stream}/${message.seq}`,
    resume: false,
  });
}
