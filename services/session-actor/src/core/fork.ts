import type { NewEvent } from '@signalbox/events';
import type { SessionCommand } from './decide.ts';
import { nextStep, nothing, outstandingWork, placeholderMeta, type Decision } from './next-step.ts';
import { fold, type SessionState } from './state.ts';

type ForkSession = Extract<SessionCommand, { type: 'ForkSession' }>;

/**
 * A fork records the original's first events as its own (its `session.created` marked with where it
 * came from and the agent changes), then does whatever those events leave to do: the next model
 * call, the outstanding tool calls, or the model call the prefix ended waiting for.
 */
export function fork(command: ForkSession, state: SessionState): Decision {
  if (state.status !== 'new') return nothing; // a redelivered fork request: the fork exists
  const [first, ...rest] = command.prefix;
  if (first?.type !== 'session.created') return nothing;
  const { parent: _parent, ...data } = first.data; // a fork is its own root, not another run's subagent
  const agent = { ...data.agent, ...definedOnly(command.agent ?? {}) };
  const created: NewEvent = { type: 'session.created', data: { ...data, agent, forkedFrom: command.from } };
  const events = [created, ...rest];
  const after = fold(events.map((event, index) => ({ ...event, ...placeholderMeta(command.sessionId, command.correlationId, index + 1) })));
  // A finished session has nothing to continue; the client refuses such a fork before it gets here.
  if (after.status === 'new' || after.status === 'completed') return nothing;
  const next = after.status === 'deciding' ? nextStep(after) : outstandingWork(after);
  return { events: [...events, ...next.events], effects: next.effects };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
