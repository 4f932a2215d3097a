import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type NatsConnection } from '@nats-io/nats-core';
import { decode, DecodeError, encode, PermissionReply, type Naming, type PermissionCheck, type PermissionVerdict } from '@signalbox/events';
import { traceHeaders, type InProcessPermissions, type Logger } from '@signalbox/runtime';
import type { SessionCommand, SupervisorGate } from '@signalbox/session';
import type { GateAsker } from './supervisor-gate.ts';

/** Where the session actor's permission checks go; the verdicts come back as the command that records them. */
export interface PermissionPort {
  /** With `gate`, the calls the broker allows are then put to the supervisor's gate. */
  check(checks: readonly PermissionCheck[], gate?: SupervisorGate): Promise<SessionCommand>;
  /**
   * The verdicts at once, when a broker of this process answers every check and no gate is asked
   * after it (nothing to wait for, so they can be recorded with the decision that asked); else undefined.
   */
  answerHere(checks: readonly PermissionCheck[], gate?: SupervisorGate): SessionCommand | undefined;
}

export interface PermissionCheckOptions {
  /** How long a call waits for a broker to answer before it is denied (fail closed). */
  timeoutMs: number;
  clock: () => number;
  logger: Logger;
  /** The supervisor's gate, asked after the broker when the decision says so. */
  askGate: GateAsker;
  /** The session's step span, while this actor traces it: each check carries it, and the broker's span hangs under it. */
  traceparentOf?: (sessionId: string) => string | undefined;
  /** The permission brokers of this process: a check one of them answers makes no request. */
  inProcess?: InProcessPermissions;
}

/** One try's wait for an answer: short, so a broker that comes back within the deadline is heard soon. */
const attemptTimeoutMs = 2_000;
const firstRetryMs = 50;
const longestRetryMs = 1_000;

/**
 * Asks the permission brokers (a queue group: one replica answers each request) about each call.
 * While none answers, it asks again until `timeoutMs` has passed, and then denies the call with that
 * reason: nothing runs on a broker's silence.
 */
export function livePermissionPort(nc: NatsConnection, names: Naming, options: PermissionCheckOptions): PermissionPort {
  return {
    check: async (checks, gate) => {
      const deadline = options.clock() + options.timeoutMs;
      const verdicts = await Promise.all(checks.map(async (check) => ({ callId: check.callId, verdict: await verdictFor(nc, names, check, deadline, options) })));
      const allowed = checks.filter((check) => verdicts.some(({ callId, verdict }) => callId === check.callId && verdict.effect === 'allow'));
      // Chained after the broker: the supervisor is asked only about calls that may run.
      if (gate === undefined || allowed.length === 0 || checks[0] === undefined) return { type: 'RecordPermissions', verdicts };
      return { type: 'RecordPermissions', verdicts, gate: await options.askGate(checks[0].sessionId, gate, allowed) };
    },
    answerHere: (checks, gate) => {
      if (gate !== undefined || !options.inProcess) return undefined;
      const verdicts: { callId: string; verdict: PermissionVerdict }[] = [];
      for (const check of checks) {
        const verdict = verdictHere(check, options);
        if (!verdict) return undefined;
        verdicts.push({ callId: check.callId, verdict });
      }
      return { type: 'RecordPermissions', verdicts };
    },
  };
}

/** The verdict of a broker of this process, its span under the step's; undefined when none serves here. */
function verdictHere(check: PermissionCheck, options: PermissionCheckOptions): PermissionVerdict | undefined {
  const reply = options.inProcess?.answer(check, options.traceparentOf?.(check.sessionId));
  return reply && verdictOf(reply);
}

async function verdictFor(nc: NatsConnection, names: Naming, check: PermissionCheck, deadline: number, options: PermissionCheckOptions): Promise<PermissionVerdict> {
  const here = verdictHere(check, options);
  if (here) return here;
  const body = encode(check);
  const traced = traceHeaders(options.traceparentOf?.(check.sessionId));
  for (let retryMs = firstRetryMs; ; retryMs = Math.min(retryMs * 2, longestRetryMs)) {
    const left = deadline - options.clock();
    if (left <= 0) return unanswered(options.timeoutMs);
    try {
      const reply = await nc.request(names.subjects.permissionCheck, body, { timeout: Math.min(attemptTimeoutMs, left), ...traced });
      return verdictOf(decode(PermissionReply, reply.data, "the permission broker's reply"));
    } catch (error) {
      if (error instanceof DecodeError) return refused(`the permission broker's reply could not be read (${error.message})`);
      if (!isUnanswered(error)) throw error;
      options.logger.debug({ sessionId: check.sessionId, callId: check.callId, err: error }, 'no permission broker answered yet; asking again');
    }
    await sleep(Math.min(retryMs, Math.max(0, deadline - options.clock())));
  }
}

function verdictOf(reply: PermissionReply): PermissionVerdict {
  return 'verdict' in reply ? reply.verdict : refused(`the permission broker could not read the check: ${reply.error}`);
}

/** No broker subscribed (no responders) or none answered in time: both mean ask again. */
function isUnanswered(error: unknown): boolean {
  return error instanceof errors.TimeoutError || error instanceof errors.NoRespondersError || (error instanceof errors.RequestError && (error.isNoResponders() || error.cause instanceof errors.TimeoutError));
}

function unanswered(timeoutMs: number): PermissionVerdict {
  return refused(`no permission broker answered within ${timeoutMs / 1000} s, and a call no broker has allowed does not run`);
}

function refused(reason: string): PermissionVerdict {
  return { effect: 'deny', reason };
}
