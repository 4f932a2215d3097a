import type { JsMsg } from '@nats-io/jetstream';
import { assertNever, decode, DecodeError, InboxCommand, type Naming } from '@signalbox/events';
import { positionOf, Rejection } from '@signalbox/runtime';
import { forkPrefix, type SessionCommand } from '@signalbox/session';
import type { EventStore } from '@signalbox/store';
import type { SessionRunner } from './session-runner.ts';

/** What applying inbox commands needs: the runner, and the log, which a fork is read from. */
export interface InboxDeps {
  runner: SessionRunner;
  store: EventStore;
}

/**
 * Applies a command from `sbx.inbox.<sessionId>` (a tool result, or a request to start the session
 * as a fork), or from this actor's own `sbx.inbox.<sessionId>.<actor>` (a tool result), to its session.
 */
export async function handleInboxCommand(deps: InboxDeps, message: JsMsg): Promise<void> {
  let command: InboxCommand;
  try {
    command = decode(InboxCommand, message.data, 'inbox command');
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
  const options = { causationId: positionOf(message) };
  await deps.runner.execute(command.sessionId, await toSessionCommand(deps.store, command), options);
}

async function toSessionCommand(store: EventStore, command: InboxCommand): Promise<SessionCommand> {
  switch (command.type) {
    case 'tool.result':
      return { type: 'RecordToolResult', result: command };
    case 'fork': {
      const { sessionId, from, edit, agent } = command;
      const prefix = forkPrefix(await store.read(from.sessionId), from.n, edit);
      if (!prefix) throw new Rejection(`cannot fork ${from.sessionId} at event ${from.n}: its log does not reach that far`);
      // A fork is the root of its own run.
      return { type: 'ForkSession', sessionId, correlationId: sessionId, from, prefix, agent };
    }
    default:
      return assertNever(command);
  }
}

/** A command that could not be applied after every retry fails its session, with the reason, rather than leaving it waiting. */
export async function failSessionOf(runner: SessionRunner, names: Naming, message: JsMsg, reason: string): Promise<void> {
  const sessionId = names.subjects.sessionOfInbox(message.subject);
  if (!sessionId) return;
  await runner.execute(sessionId, { type: 'FailSession', reason: `a command could not be applied: ${reason}` }, {
    causationId: positionOf(message),
  });
}
