import { eventVersion, type AgentDefinition, type EventType, type NewEvent, type SessionEvent } from '@signalbox/events';
import { expect } from 'vitest';
import { decide, type Decision, type SessionCommand } from './decide.ts';
import { fold } from './state.ts';

/** The agent and tools the deciders' specs run with. */
export const agent: AgentDefinition = {
  name: 'helper',
  model: 'scripted',
  system: 'Be brief.',
  tools: ['workspace.read'],
  budget: { maxSteps: 3 },
  maxTokens: 1024,
  subagents: [],
  script: [{ final: 'done' }],
};
export const tools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];

/** Wraps proposed events in envelopes numbered from 1, as the store would. */
export function stored(events: NewEvent[], sessionId = 's1'): SessionEvent[] {
  return events.map(
    (event, index) =>
      ({
        ...event,
        id: `e${index + 1}`,
        v: eventVersion(event.type),
        sessionId,
        n: index + 1,
        at: 1_700_000_000_000 + index,
        causationId: null,
        correlationId: sessionId,
        by: { service: 'test', instance: 't' },
      }),
  );
}

/** The log the decider writes for `commands`, decided one after another, as the store would keep it. */
export function recorded(...commands: SessionCommand[]): SessionEvent[] {
  const events: NewEvent[] = [];
  for (const command of commands) events.push(...decide(command, fold(stored(events))).events);
  return stored(events);
}

/** An expected event: its type and any part of its data. */
export type ExpectedEvent = { type: EventType; data?: Record<string, unknown> };
export type ExpectedEffect = { type: Decision['effects'][number]['type'] } & Record<string, unknown>;

/** given(history).when(command).then(events, effects): the decider's specs, with no NATS and no mocks. */
export function given(history: NewEvent[]) {
  return {
    when(command: SessionCommand) {
      const decision = decide(command, fold(stored(history)));
      return {
        decision,
        then(events: ExpectedEvent[], effects?: ExpectedEffect[]) {
          expect(decision.events).toMatchObject(events);
          expect(decision.events).toHaveLength(events.length);
          if (effects) {
            expect(decision.effects).toMatchObject(effects);
            expect(decision.effects).toHaveLength(effects.length);
          }
          return decision;
        },
      };
    },
  };
}
