import type { Msg, Subscription } from '@nats-io/nats-core';
import { decode, DecodeError, encode, SupervisorGateRequest, type SupervisorGateReply } from '@signalbox/events';
import type { ServiceContext } from '@signalbox/runtime';
import { answerGate } from '../core/gate.ts';
import { traceGate, type GateOutcome } from './supervision-spans.ts';
import type { WatchedSessions } from './watched-sessions.ts';

export interface GateResponder {
  /** Serves the gate subjects of exactly these partitions: the ones whose sessions this replica follows. */
  follow(partitions: readonly number[]): void;
  stop(): Promise<void>;
}

/** How long a request waits for its session to be folded up to its head: past the actor's default deadline (1 s). */
const foldWaitMs = 2_000;
/** Requests waiting at once, at most: a flood of requests about heads not yet folded is refused, not held. */
const maxWaiting = 1_000;

/**
 * The supervisor's synchronous gate: for each partition this replica follows, it answers requests on
 * the partition's gate subject (core request/reply) once it has folded the session up to the head
 * the request names. A request it cannot read is answered with the reason; one about a session it
 * has not folded that far in time is not answered, and the actor applies the agent's fail-open or
 * fail-closed choice. Each answer's findings are kept, so they are not sent again as interventions.
 * Traced, each request is a `supervise_gate` span under the actor's span that asked.
 */
export function startGateResponder({ nc, names, logger, config, tracing }: ServiceContext, sessions: WatchedSessions): GateResponder {
  const served = new Map<number, Subscription>();
  const pending = new Set<Promise<void>>();

  const answer = async (message: Msg): Promise<GateOutcome> => {
    let request: SupervisorGateRequest;
    try {
      request = decode(SupervisorGateRequest, message.data, 'a supervisor gate request');
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      logger.warn({ subject: message.subject, err: error }, 'refused a gate request it could not read');
      reply(message, { error: error.message });
      return { kind: 'unreadable' };
    }
    const { sessionId, head } = request;
    const folded = sessions.get(sessionId);
    if ((folded === undefined || folded.head.n < head) && sessions.waiting >= maxWaiting) {
      reply(message, { error: `${maxWaiting} gate requests already wait for their sessions to be folded; this one is refused` });
      return { kind: 'refused', sessionId, head };
    }
    const session = await sessions.folded(sessionId, head, foldWaitMs);
    if (session === undefined) {
      logger.warn({ sessionId, head }, 'gate request for a session not folded that far in time; not answered');
      return { kind: 'unfolded', sessionId, head };
    }
    const answered = answerGate(session, request);
    sessions.set(sessionId, answered.session);
    const stopped = answered.verdicts.filter(({ verdict }) => verdict !== 'proceed');
    if (stopped.length > 0) logger.info({ sessionId, head, verdicts: stopped }, 'gate stopped calls');
    reply(message, { verdicts: answered.verdicts, by: config.instance });
    return { kind: 'answered', sessionId, head, verdicts: answered.verdicts, modelCall: request.modelCall !== undefined };
  };

  const serve = (partition: number) => {
    const subscription = nc.subscribe(names.subjects.supervisorGate(partition), {
      callback: (error, message) => {
        if (error) return logger.warn({ err: error, partition }, 'gate subscription failed');
        const work = traceGate(tracing?.tracer, message.headers?.get('traceparent') || undefined, () => answer(message)).catch((failure: unknown) => logger.error({ err: failure, partition }, 'could not answer a gate request'));
        pending.add(work);
        void work.finally(() => pending.delete(work));
      },
    });
    served.set(partition, subscription);
  };

  return {
    follow(partitions) {
      for (const [partition, subscription] of served) {
        if (partitions.includes(partition)) continue;
        subscription.unsubscribe();
        served.delete(partition);
      }
      for (const partition of partitions) if (!served.has(partition)) serve(partition);
    },
    async stop() {
      served.forEach((subscription) => subscription.unsubscribe());
      served.clear();
      sessions.abandonWaits();
      await Promise.all(pending);
    },
  };
}

function reply(message: Msg, body: SupervisorGateReply): void {
  message.respond(encode(body));
}
