import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type NatsConnection } from '@nats-io/nats-core';
import { decode, DecodeError, encode, maxGatedCalls, SupervisorGateReply, type GateVerdict, type Naming, type SupervisorGateRequest } from '@signalbox/events';
import { traceHeaders, type Logger } from '@signalbox/runtime';
import { unansweredGateVerdict, type SupervisorGate } from '@signalbox/session';
import { partitionOfSession } from '@signalbox/store';

export interface SupervisorGateOptions {
  /** The partitions stream's partition count: a session's gate subject is its partition's. */
  eventPartitions: number;
  clock: () => number;
  logger: Logger;
  /**
   * The span a request is asked from, while this actor traces the session: the step's for tool calls, the
   * model call's for a model call. The request carries it, and the supervisor's span hangs under it.
   */
  traceparentOf?: (sessionId: string, modelCallId?: string) => string | undefined;
}

/** Asks the supervisor's gate about a session's allowed calls; never throws for the gate's silence or nonsense. */
export type GateAsker = (sessionId: string, gate: SupervisorGate, calls: readonly { callId: string; tool: string }[]) => Promise<GateVerdict[]>;

const retryMs = 25;

/**
 * Asks the supervisor replica that follows the session (the one subscribed to its partition's gate
 * subject) about the calls, with the session's head. While none is subscribed (a replica restarting,
 * partitions moving) it asks again until the gate's deadline; then every call gets the agent's
 * fail-open or fail-closed verdict, marked `unanswered`. A verdict missing for a call, or a reply
 * that cannot be read, counts as no answer for it.
 */
export function liveGateAsker(nc: NatsConnection, names: Naming, options: SupervisorGateOptions): GateAsker {
  return async (sessionId, gate, calls) => {
    const subject = names.subjects.supervisorGate(partitionOfSession(sessionId, options.eventPartitions));
    const deadline = options.clock() + gate.timeoutMs;
    const verdicts: GateVerdict[] = [];
    for (let start = 0; start < calls.length; start += maxGatedCalls) {
      const part = calls.slice(start, start + maxGatedCalls).map(({ callId, tool }) => ({ callId, tool }));
      const answered = await ask(nc, subject, { sessionId, head: gate.head, calls: part }, deadline, options, options.traceparentOf?.(sessionId));
      const byCall = new Map(answered.map((verdict) => [verdict.callId, verdict]));
      verdicts.push(...part.map(({ callId }) => byCall.get(callId) ?? unansweredGateVerdict(callId, gate)));
    }
    return verdicts;
  };
}

/** Asks the supervisor's gate about the model call a session is about to make; its verdict, or the agent's choice with none. */
export type ModelGateAsker = (sessionId: string, gate: SupervisorGate, callId: string) => Promise<GateVerdict>;

export function liveModelGateAsker(nc: NatsConnection, names: Naming, options: SupervisorGateOptions): ModelGateAsker {
  return async (sessionId, gate, callId) => {
    const subject = names.subjects.supervisorGate(partitionOfSession(sessionId, options.eventPartitions));
    const request = { sessionId, head: gate.head, calls: [], modelCall: { callId } };
    const answered = await ask(nc, subject, request, options.clock() + gate.timeoutMs, options, options.traceparentOf?.(sessionId, callId));
    return answered.find((verdict) => verdict.callId === callId) ?? unansweredGateVerdict(callId, gate);
  };
}

async function ask(nc: NatsConnection, subject: string, request: SupervisorGateRequest, deadline: number, options: SupervisorGateOptions, traceparent: string | undefined): Promise<GateVerdict[]> {
  const body = encode(request);
  const traced = traceHeaders(traceparent);
  for (;;) {
    const left = deadline - options.clock();
    if (left <= 0) return [];
    try {
      const reply = decode(SupervisorGateReply, (await nc.request(subject, body, { timeout: left, ...traced })).data, "the supervisor's gate reply");
      if ('verdicts' in reply) return reply.verdicts;
      options.logger.warn({ sessionId: request.sessionId, error: reply.error }, "the supervisor's gate refused the request; treated as no answer");
      return [];
    } catch (error) {
      if (error instanceof DecodeError) {
        options.logger.warn({ sessionId: request.sessionId, err: error }, "the supervisor's gate reply could not be read; treated as no answer");
        return [];
      }
      if (!isNoResponders(error) && !isTimeout(error)) throw error;
    }
    await sleep(Math.min(retryMs, Math.max(0, deadline - options.clock())));
  }
}

function isNoResponders(error: unknown): boolean {
  return error instanceof errors.NoRespondersError || (error instanceof errors.RequestError && error.isNoResponders());
}

function isTimeout(error: unknown): boolean {
  return error instanceof errors.TimeoutError || (error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError);
}
