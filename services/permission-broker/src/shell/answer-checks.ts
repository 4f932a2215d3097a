import type { Msg } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { decode, DecodeError, encode, maxInputDepth, PermissionCheck, validate, valueDepthProblem, type PermissionReply, type PermissionVerdict } from '@signalbox/events';
import { contextOfTraceparent, type InProcessPermissions, type ServiceContext } from '@signalbox/runtime';

/** The queue group the replicas share checks in: each check is answered by one of them. */
export const checkQueue = 'permission-broker';
/** The contract's longest error in a reply. */
const maxErrorLength = 2000;
const what = 'a permission check';

export interface AnsweringChecks {
  /** Stops answering here, then drains the subscription. */
  drain(): Promise<void>;
}

/**
 * Answers every permission check with a verdict, or with an error when the request cannot be read or
 * decided: the session actor denies the call on an error, so no request is left to time out. Checks
 * come over NATS and, from an actor of this process, through `inProcess`: read by the same limits
 * and schema, decided, logged and traced alike.
 */
export function answerChecks(context: ServiceContext, decide: (check: PermissionCheck) => PermissionVerdict, inProcess?: InProcessPermissions): AnsweringChecks {
  const { logger } = context;
  const tracer = context.tracing?.tracer;
  const answer = (read: () => PermissionCheck, bytes: number, traceparent: string | undefined): PermissionReply => {
    const span = tracer && startCheckSpan(tracer, traceparent);
    const { reply, check } = replyTo(read, bytes);
    if (span) endCheckSpan(span, reply, check);
    return reply;
  };
  const replyTo = (read: () => PermissionCheck, bytes: number): { reply: PermissionReply; check?: PermissionCheck } => {
    let check: PermissionCheck;
    try {
      check = read();
    } catch (error) {
      const reason = errorText('', error);
      logger.warn({ bytes, reason }, 'refused a permission check that cannot be read');
      return { reply: { error: reason } };
    }
    return { reply: decided(check), check };
  };
  const decided = (check: PermissionCheck): PermissionReply => {
    try {
      const verdict = decide(check);
      const line = { sessionId: check.sessionId, callId: check.callId, tool: check.tool, effect: verdict.effect, policy: verdict.policy, policyVersion: verdict.policyVersion, rule: verdict.rule };
      if (verdict.effect === 'allow') logger.debug({ ...line, granted: verdict.grant !== undefined }, 'allowed a tool call');
      else logger.info({ ...line, reason: verdict.reason }, verdict.effect === 'ask' ? 'held a tool call for approval' : 'denied a tool call');
      return { verdict };
    } catch (error) {
      logger.error({ err: error, sessionId: check.sessionId, callId: check.callId }, 'could not decide a permission check');
      return { error: errorText('the permission broker could not decide: ', error) };
    }
  };
  const overNats = (message: Msg): void => {
    if (message.reply === undefined || message.reply === '') return;
    const read = () => decode(PermissionCheck, message.data, what);
    message.respond(encode(answer(read, message.data.length, message.headers?.get('traceparent') || undefined)));
  };
  const subscription = context.nc.subscribe(context.names.subjects.permissionCheck, {
    queue: checkQueue,
    callback: (error, message) => {
      if (error) return logger.error({ err: error }, 'the permission check subscription failed');
      try {
        overNats(message);
      } catch (failure) {
        logger.error({ err: failure }, 'could not answer a permission check');
      }
    },
  });
  const stopServing = inProcess?.serve((check, traceparent) => answer(() => readHere(check), 0, traceparent));
  return {
    drain: async () => {
      stopServing?.();
      await subscription.drain();
    },
  };
}

/** A check from this process, read as its request would be: within input's nesting, and by the contract's schema. */
function readHere(check: PermissionCheck): PermissionCheck {
  const problem = valueDepthProblem(check, maxInputDepth);
  if (problem !== undefined) throw new DecodeError(what, problem);
  return validate(PermissionCheck, check, what);
}

/**
 * A check's span, `check_permission`, under the actor's step whose context the request carries (a
 * request without one: a trace of its own). The verdict's effect, policy and rule; never the input.
 */
function startCheckSpan(tracer: Tracer, traceparent: string | undefined): Span {
  return tracer.startSpan('check_permission', { kind: SpanKind.SERVER }, contextOfTraceparent(traceparent));
}

function endCheckSpan(span: Span, reply: PermissionReply, check: PermissionCheck | undefined): void {
  if (check) span.setAttributes({ 'gen_ai.tool.name': check.tool, 'gen_ai.tool.call.id': check.callId, 'signalbox.session.id': check.sessionId });
  if ('verdict' in reply) {
    const { effect, policy, rule } = reply.verdict;
    span.setAttributes({ 'signalbox.permission.effect': effect, ...(policy === undefined ? {} : { 'signalbox.permission.policy': policy }), ...(rule === undefined ? {} : { 'signalbox.permission.rule': rule.index }) });
  } else span.setStatus({ code: SpanStatusCode.ERROR, message: check ? 'undecided_check' : 'unreadable_check' });
  span.end();
}

/** The error's message after `lead`, cut to what the reply contract holds. */
function errorText(lead: string, error: unknown): string {
  const text = lead + (error instanceof Error ? error.message : String(error));
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text;
}
