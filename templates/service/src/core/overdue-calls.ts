import { assertNever, isToolOutcome, toolCallResult, type InboxCommand, type SessionEvent } from '@signalbox/events';

/** A tool call the log shows requested and not yet answered. */
export interface WaitingCall {
  sessionId: string;
  callId: string;
  tool: string;
  requestedAt: number;
}

/** What the service knows: its deadline, and the calls waiting for a result, by `<sessionId>/<callId>`. */
export interface DeadlineState {
  readonly deadlineMs: number;
  readonly waiting: ReadonlyMap<string, WaitingCall>;
}

/** What the shell asks the decider, with the time injected: the clock never runs inside the core. */
export type DeadlineCommand = { type: 'CheckDeadlines'; now: number };

/**
 * Effects as data, performed by the shell. Only the session actor appends to a log, so a service
 * decides commands for sessions; the actor records what it does with them as events.
 */
export type DeadlineEffect = { type: 'SendToSession'; sessionId: string; command: InboxCommand; messageId: string };

export interface Decision {
  effects: DeadlineEffect[];
}

export function initialState(deadlineMs: number): DeadlineState {
  return { deadlineMs, waiting: new Map() };
}

/** Folds one event of any session's log into the state. */
export function evolve(state: DeadlineState, event: SessionEvent): DeadlineState {
  if (event.type === 'tool.requested') {
    const call = { sessionId: event.sessionId, callId: event.data.callId, tool: event.data.tool, requestedAt: event.at };
    return withWaiting(state, (waiting) => waiting.set(keyOf(call), call));
  }
  if (isToolOutcome(event)) {
    return withWaiting(state, (waiting) => waiting.delete(keyOf({ sessionId: event.sessionId, callId: event.data.callId })));
  }
  if (event.type === 'session.completed') {
    return withWaiting(state, (waiting) => {
      for (const [key, call] of waiting) if (call.sessionId === event.sessionId) waiting.delete(key);
    });
  }
  return state;
}

export function decide(command: DeadlineCommand, state: DeadlineState): Decision {
  switch (command.type) {
    case 'CheckDeadlines': {
      const overdue = [...state.waiting.values()].filter((call) => command.now - call.requestedAt > state.deadlineMs);
      return { effects: overdue.map((call) => answer(call, command.now, state.deadlineMs)) };
    }
    default:
      return assertNever(command.type);
  }
}

/**
 * The call may still be running, so its outcome is unknown, not failed. The message id is the same at
 * every check, so answering a call again before its answer is in the log sends nothing twice.
 */
function answer(call: WaitingCall, now: number, deadlineMs: number): DeadlineEffect {
  const reason = `no result within ${deadlineMs} ms of the call`;
  const command: InboxCommand = toolCallResult(call, { status: 'unknown', reason }, Math.max(0, now - call.requestedAt));
  return { type: 'SendToSession', sessionId: call.sessionId, command, messageId: `tool-deadline/${keyOf(call)}` };
}

function keyOf(call: { sessionId: string; callId: string }): string {
  return `${call.sessionId}/${call.callId}`;
}

function withWaiting(state: DeadlineState, change: (waiting: Map<string, WaitingCall>) => void): DeadlineState {
  const waiting = new Map(state.waiting);
  change(waiting);
  return { ...state, waiting };
}
