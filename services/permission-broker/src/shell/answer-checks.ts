import type { Msg, Subscription } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { decode, encode, PermissionCheck, type PermissionReply, type PermissionVerdict } from '@signalbox/events';
import { contextOfTraceparent, type ServiceContext } from '@signalbox/runtime';

/** The queue group the replicas share checks in: each check is answered by one of them. */
export const checkQueue = 'permission-broker';
/** The contract's longest error in a reply. */
const maxErrorLength = 2000;

/**
 * Answers every permission check with a verdict, or with an error when the request cannot be read or
 * decided: the session actor denies the call on an error, so no request is left to time out.
 */
export function answerChecks(context: ServiceContext, decide: (check: PermissionCheck) => PermissionVerdict): Subscription {
  const { logger } = context;
  const tracer = context.tracing?.tracer;
  const answer = (message: Msg): void => {
    if (message.reply === undefined || message.reply === '') return;
    const span = tracer && startCheckSpan(tracer, message);
    const { reply, check } = replyTo(message.data);
    if (span) endCheckSpan(span, reply, check);
    message.respond(encode(reply));
  };
  const replyTo = (data: Uint8Array): { reply: PermissionReply; check?: PermissionCheck } => {
    let check: PermissionCheck;
    try {
      check = decode(PermissionCheck, data, 'a permission check');
    } catch (error) {
      const reason = errorText('', error);
      logger.warn({ bytes: data.length, reason }, 'refused a permission check that cannot be read');
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
  return context.nc.subscribe(context.names.subjects.permissionCheck, {
    queue: checkQueue,
    callback: (error, message) => {
      if (error) return logger.error({ err: error }, 'the permission check subscription failed');
      try {
        answer(message);
      } catch (failure) {
        logger.error({ err: failure }, 'could not answer a permission check');
      }
    },
  });
}

/**
 * A check's span, `check_permission`, under the actor's step whose context the request carries (a
 * request without one: a trace of its own). The verdict's effect, policy and rule; never the input.
 */
function startCheckSpan(tracer: Tracer, message: Msg): Span {
  return tracer.startSpan('check_permission', { kind: SpanKind.SERVER }, contextOfTraceparent(message.headers?.get('traceparent') || undefined));
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
