import type { InProcessPermissions, Service } from '@signalbox/runtime';
import { brokerStatus, emptyBook, evolveBook } from './core/policy-book.ts';
import { decidePermission } from './core/verdict.ts';
import { answerChecks } from './shell/answer-checks.ts';
import { answerStatus } from './shell/answer-status.ts';
import { brokerSigningOf } from './shell/grant-signing.ts';
import { watchPolicies } from './shell/policy-watch.ts';

export interface PermissionBrokerOptions {
  /** The time grants are issued at, for tests. */
  clock?: () => number;
  /** The session actors of this process ask here (`sessionActorService`'s `inProcessPermissions`) rather than over NATS. */
  inProcess?: InProcessPermissions;
}

/**
 * Answers the session actor's permission checks (request/reply, replicas in one queue group) by the
 * policies in the policies bucket, and signs a grant for each allowed call when it has a seed.
 */
export function permissionBrokerService(options: PermissionBrokerOptions = {}): Service {
  const clock = options.clock ?? Date.now;
  return {
    name: 'permission-broker',
    start: async (context) => {
      const { logger } = context;
      const signing = brokerSigningOf(context.config.permissionBroker);
      let policies = emptyBook();
      let lostWatch: string | undefined;
      const watch = await watchPolicies(
        context,
        (change) => (policies = evolveBook(policies, change)),
        (reason) => (lostWatch = reason),
      );
      const checks = answerChecks(context, (check) => {
        // Policies that may be out of date could allow what was since revoked: the actor denies on an error.
        if (lostWatch !== undefined) throw new Error(`${lostWatch}; restart the permission broker`);
        return decidePermission(check, signing === undefined ? { policies, now: clock() } : { policies, signing, now: clock() });
      }, options.inProcess);
      const status = answerStatus(context, () => brokerStatus(context.config.instance, signing?.signer, policies));
      logger.info({ signer: signing?.signer ?? null, policies: policies.size }, signing ? 'answering permission checks, signing grants' : 'answering permission checks; no seed, so no grants');
      return {
        stop: async () => {
          await Promise.all([checks.drain(), status.drain()]);
          await watch.stop();
        },
      };
    },
  };
}
