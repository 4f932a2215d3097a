import { eventVersion, type NewEvent, type SessionEvent } from '@signalbox/events';
import { expect } from 'vitest';
import { decide, evolve, initialState, type DeadlineCommand, type DeadlineEffect } from './overdue-calls.ts';

export const deadlineMs = 60_000;
export const start = 1_700_000_000_000;

/** One event of a session's log at `at`, in the envelope the store gives it. */
export function logged(sessionId: string, n: number, at: number, event: NewEvent): SessionEvent {
  return {
    ...event,
    id: `${sessionId}-e${n}`,
    v: eventVersion(event.type),
    sessionId,
    n,
    at,
    causationId: null,
    correlationId: sessionId,
    by: { service: 'test', instance: 't' },
  };
}

/** An expected effect: its type and any part of the rest. */
export type ExpectedEffect = { type: DeadlineEffect['type'] } & Record<string, unknown>;

/** given(log).when(command).then(effects): the decider's specs, with no NATS and no mocks. */
export function given(log: SessionEvent[]) {
  return {
    when(command: DeadlineCommand) {
      const decision = decide(command, log.reduce(evolve, initialState(deadlineMs)));
      return {
        decision,
        then(effects: ExpectedEffect[]) {
          expect(decision.effects).toMatchObject(effects);
          expect(decision.effects).toHaveLength(effects.length);
          return decision;
        },
      };
    },
  };
}
