import type { ForkOrigin, NewEvent, SessionEvent } from '@signalbox/events';
import type { SessionCommand } from './decide.ts';
import { deciderVersion } from './decider-version.ts';
import { nextStep, nothing, outstandingWork, placeholderMeta, type Decision } from './next-step.ts';
import { fold, type ActiveState, type SessionState } from './state.ts';

type ForkSession = Extract<SessionCommand, { type: 'ForkSession' }>;

/**
 * A fork records the original's first events as its own (its `session.created` marked with where it
 * came from and the agent changes), then does whatever those events leave to do: the next model
 * call, the outstanding tool calls, or the model call the prefix ended waiting for. A fork whose
 * actor died while it recorded them records the rest when the request comes again.
 */
export function fork(command: ForkSession, state: SessionState): Decision {
  const events = forkEvents(command);
  if (!events) return nothing;
  if (state.status === 'new') return continueWith(state, events, command);
  const cutOff = isForkOf(state, command.from) && state.n < events.length;
  // Otherwise a redelivered fork request: the fork exists.
  return cutOff ? continueWith(state, events.slice(state.n), command) : nothing;
}

/**
 * The fork's first events: the prefix, its `session.created` marked with the origin, the agent
 * changes and the decider version of the code that runs the fork (it is a new session).
 */
function forkEvents(command: ForkSession): NewEvent[] | undefined {
  const [first, ...rest] = command.prefix;
  if (first?.type !== 'session.created') return undefined;
  const { parent: _parent, ...data } = first.data; // a fork is its own root, not another run's subagent
  const agent = { ...data.agent, ...definedOnly(command.agent ?? {}) };
  const created: NewEvent = { type: 'session.created', data: { ...data, agent, forkedFrom: command.from, deciderVersion: command.deciderVersion ?? deciderVersion } };
  return [created, ...rest];
}

function continueWith(state: SessionState, events: NewEvent[], command: ForkSession): Decision {
  const stamped = events.map((event, index) => ({ ...event, ...placeholderMeta(command.sessionId, command.correlationId, state.n + index + 1) }));
  const after = fold(stamped, state);
  // A finished session has nothing to continue; the client refuses such a fork before it gets here.
  if (after.status === 'new' || after.status === 'completed') return nothing;
  const next = after.status === 'deciding' ? nextStep(after) : outstandingWork(after);
  return { events: [...events, ...next.events], effects: next.effects };
}

function isForkOf(state: ActiveState, from: ForkOrigin): boolean {
  const origin = state.forkedFrom;
  return origin !== null && origin.sessionId === from.sessionId && origin.n === from.n && Boolean(origin.hermetic) === Boolean(from.hermetic);
}

/**
 * What a fork starts from: the original's first `n` events as type and data, event `n` replaced by
 * `edit` when the fork changes it. Undefined when the original's log does not reach `n`.
 */
export function forkPrefix(original: readonly SessionEvent[], n: number, edit?: NewEvent): NewEvent[] | undefined {
  if (original.length < n) return undefined;
  const prefix = original.slice(0, n).map(({ type, data }) => ({ type, data }) as NewEvent);
  if (edit) prefix[n - 1] = edit;
  return prefix;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
