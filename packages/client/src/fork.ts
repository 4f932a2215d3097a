import { isToolOutcome, toolOutcomeEvent, toolResultOf, type NewEvent, type SessionEvent, type SupervisionConfig } from '@signalbox/events';

/** How to fork a session: where, with which agent changes, and an optional edit of event `at`. */
export interface ForkOptions {
  /** The fork's first `at` events are the original's. */
  at: number;
  /** Another model for the fork's agent. */
  model?: string;
  /** Another system prompt for the fork's agent. */
  system?: string;
  /** Other supervision for the fork's agent, whole (`false`: none): an eval turns a detector off to see what its intervention changed. */
  supervision?: SupervisionConfig;
  /** Event `at` (a tool result) is recorded as a tool.completed with this output. */
  toolOutput?: string;
  /** Event `at` (a model reply) is recorded as this text, ending the turn. */
  reply?: string;
  /** Answer from the original's recorded model replies and tool results for as long as the fork asks what it asked. */
  hermetic?: boolean;
  /** The fork's session id (default: a new ULID). */
  sessionId?: string;
}

/** A fork that cannot be made: the user asked for something the original's log does not allow. */
export class ForkError extends Error {
  override readonly name = 'ForkError';
  readonly code = 'fork_refused';
}

/**
 * Event `at` as the fork will have it when the options edit it, else undefined. Throws ForkError
 * when the original's log (all of `events`) does not allow the fork.
 */
export function forkEdit(sessionId: string, events: readonly SessionEvent[], options: ForkOptions): NewEvent | undefined {
  const { at } = options;
  if (events.length === 0) throw new ForkError(`no session ${sessionId}`);
  if (!Number.isInteger(at) || at < 1 || at > events.length) throw new ForkError(`--at must be between 1 and ${events.length}, the events of ${sessionId}; got ${at}`);
  const completed = events.find((event) => event.type === 'session.completed');
  if (completed && at >= completed.n) {
    throw new ForkError(`${sessionId} completed at event ${completed.n}; fork at an earlier event (1-${completed.n - 1}) to change what happens`);
  }
  if (options.toolOutput !== undefined && options.reply !== undefined) throw new ForkError('edit either the tool output or the reply, not both');
  const { type, data } = events[at - 1] as SessionEvent;
  const last = { type, data } as NewEvent;
  if (options.toolOutput !== undefined) return withToolOutput(sessionId, last, at, options.toolOutput);
  if (options.reply !== undefined) return withReply(last, at, options.reply);
  return undefined;
}

/** The tool result at event `at` as if the call had completed with `output`, in the same time (none when unknown). */
function withToolOutput(sessionId: string, event: NewEvent, at: number, output: string): NewEvent {
  if (!isToolOutcome(event)) throw new ForkError(`--tool-output edits a tool result, and event ${at} is ${event.type}`);
  return toolOutcomeEvent({ ...toolResultOf(sessionId, event), outcome: { status: 'completed', output } });
}

function withReply(event: NewEvent, at: number, text: string): NewEvent {
  if (event.type !== 'model.responded') throw new ForkError(`--reply edits a model reply, and event ${at} is ${event.type}`);
  return { type: 'model.responded', data: { ...event.data, content: [{ type: 'text', text }], stopReason: 'end_turn' } };
}
