import type { NatsConnection } from '@nats-io/nats-core';
import { eventVersion, type AgentDefinition, type Naming, type SessionEvent } from '@signalbox/events';
import { sendToSession } from '@signalbox/runtime';
import { emptyHead, readToolDefinitions, type EventStore } from '@signalbox/store';

/**
 * Sessions decided by the rules before the permission gate (decider version 2), as the sessions that
 * were running when an installation upgraded still are: their tool calls go out unchecked, in the
 * same append as the model's reply.
 */
export const ungatedDeciderVersion = 2;

/**
 * Writes `sessionId`'s `session.created` under decider version 2 straight to its log, as a session
 * that started before the upgrade is found after it: created, its first step not yet taken. The
 * tools are resolved from the advertisements, as a task would resolve them.
 */
export async function writeUngatedSession(
  nc: NatsConnection,
  names: Naming,
  store: EventStore,
  sessionId: string,
  agent: AgentDefinition,
  clock: () => number,
): Promise<void> {
  const created: SessionEvent = {
    type: 'session.created',
    v: eventVersion('session.created'),
    id: crypto.randomUUID(),
    sessionId,
    n: 1,
    at: clock(),
    causationId: null,
    correlationId: sessionId,
    by: { service: 'bench', instance: 'bench' },
    data: {
      agent,
      input: 'benchmark',
      tools: await readToolDefinitions(nc, names, agent.tools),
      budget: agent.budget,
      deciderVersion: ungatedDeciderVersion,
    },
  };
  await store.append(sessionId, [created], emptyHead);
}

/**
 * Sets such a session going: an actor that applies any command to a session left 'deciding' takes
 * its next step. A resume is the command an operator would send; to a session not paused it changes nothing else.
 */
export async function resumeUngatedSession(nc: NatsConnection, names: Naming, sessionId: string): Promise<void> {
  await sendToSession(nc, names, sessionId, { type: 'resume', sessionId, by: 'bench' });
}
