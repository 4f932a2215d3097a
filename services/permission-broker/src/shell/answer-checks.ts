import type { Msg, Subscription } from '@nats-io/nats-core';
import { decode, encode, PermissionCheck, type PermissionReply, type PermissionVerdict } from '@signalbox/events';
import type { ServiceContext } from '@signalbox/runtime';

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
  const answer = (message: Msg): void => {
    if (message.reply === undefined || message.reply === '') return;
    message.respond(encode(replyTo(message.data)));
  };
  const replyTo = (data: Uint8Array): PermissionReply => {
    let check: PermissionCheck;
    try {
      check = decode(PermissionCheck, data, 'a permission check');
    } catch (error) {
      const reason = errorText('', error);
      logger.warn({ bytes: data.length, reason }, 'refused a permission check that cannot be read');
      return { error: reason };
    }
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

/** The error's message after `lead`, cut to what the reply contract holds. */
function errorText(lead: string, error: unknown): string {
  const text = lead + (error instanceof Error ? error.message : String(error));
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text;
}
