import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { encodeEventMessage, typeHeader, type Naming, type SessionEvent } from '@signalbox/events';
import { recordedStep, stepDecisions } from './append-options.ts';

/** A decision as the event store stores it: one message holding its events, their types in a header, the first's id as the message id. */
function decisionMessage(events: readonly SessionEvent[]) {
  const first = events[0]!;
  const hdrs = headers();
  hdrs.set(typeHeader, events.map((event) => event.type).join(','));
  return { data: encodeEventMessage(events), msgID: `${first.sessionId}/${first.n}`, headers: hdrs };
}

/**
 * The floor of a session's steps at raw JetStream cost: each step's two decisions (a recorded step's
 * events, as the actor stores them) appended one after the other to the session's subject, each checked
 * against the last (`expect.lastSubjectSequence`), with nothing else between them: no model, no tool, no fold.
 */
export async function rawSessionSteps(js: JetStreamClient, names: Naming, sessionId: string, steps: number): Promise<void> {
  const template = recordedStep();
  let seq = 0;
  for (let step = 1; step <= steps; step++) {
    for (const events of stepDecisions(template, sessionId, step)) {
      const { data, ...options } = decisionMessage(events);
      seq = (await js.publish(names.subjects.events(sessionId), data, { ...options, expect: { lastSubjectSequence: seq } })).seq;
    }
  }
}

/**
 * Fills the events stream with `events` valid events (recorded steps, renumbered) of `sessions` other
 * sessions, as fast as the server takes them: publishes pipelined up to `inFlight` at a time, each
 * session's in order (one connection keeps their order), unchecked. Returns how many were stored.
 */
export async function fillEventsStream(nc: NatsConnection, names: Naming, options: { events: number; sessions: number; runId: string; inFlight?: number }): Promise<number> {
  const js = jetstream(nc);
  const template = recordedStep();
  const perSession = Math.ceil(options.events / options.sessions / template.length);
  const pending = new Set<Promise<unknown>>();
  let stored = 0;
  for (let step = 1; step <= perSession; step++) {
    for (let session = 1; session <= options.sessions && stored < options.events; session++) {
      for (const events of stepDecisions(template, `fill-${options.runId}-${session}`, step)) {
        const { data, ...publishOptions } = decisionMessage(events);
        const publishing = js.publish(names.subjects.events(events[0]!.sessionId), data, publishOptions);
        pending.add(publishing);
        void publishing.finally(() => pending.delete(publishing)).catch(() => undefined);
        stored += events.length;
        if (pending.size >= (options.inFlight ?? 2000)) await Promise.race(pending);
      }
    }
  }
  await Promise.all(pending);
  return stored;
}

/** A round of raw sessions at once: only their appends. */
export interface FloorRound {
  steps: number;
  wallMs: number;
}

/** Runs `count` raw sessions of `stepsEach` steps at once (see rawSessionSteps), from this process's connection. */
export function floorRunner(nc: NatsConnection, names: Naming, runId: string) {
  const js = jetstream(nc);
  return async (count: number, stepsEach: number, label: string): Promise<FloorRound> => {
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, index) => rawSessionSteps(js, names, `floor-${runId}-${label}-${index + 1}`, stepsEach)));
    return { steps: count * stepsEach, wallMs: performance.now() - started };
  };
}
