import type { PermissionCheck, PermissionVerdict, Policy } from '@signalbox/events';
import { evaluate, listedToolsPolicy, narrow, signGrant } from '@signalbox/policy';
import { grantedSecretsOf } from './granted-secrets.ts';
import { namedHostOf } from './named-hosts.ts';
import type { PolicyBook } from './policy-book.ts';

/** What the broker signs grants with: its NKey user seed, and how long a grant holds. */
export interface GrantSigning {
  seed: string;
  ttlMs: number;
}

/** Everything a verdict depends on besides the check, the clock's reading included: the core never reads it. */
export interface CheckContext {
  policies: PolicyBook;
  /** Absent: the broker issues no grants (executors that trust no signer run every job). */
  signing?: GrantSigning;
  now: number;
}

/**
 * The broker's verdict on one tool call: the agent's policy (stored, or made of the tools it lists),
 * narrowed by the task's, evaluated on the call; an `allow` carries a signed grant when the broker signs.
 */
export function decidePermission(check: PermissionCheck, context: CheckContext): PermissionVerdict {
  const agentPolicy = agentPolicyOf(check, context.policies);
  if ('missing' in agentPolicy) return notApplied(agentPolicy.missing);
  const policy = check.taskPolicy === undefined ? agentPolicy.policy : narrow(agentPolicy.policy, check.taskPolicy);
  const call = { tool: check.tool, input: check.input };
  const decision = evaluate(policy, call);
  const verdict: PermissionVerdict = { effect: decision.effect, reason: decision.reason, policy: decision.policy };
  if (decision.policyVersion !== undefined) verdict.policyVersion = decision.policyVersion;
  if (decision.rule !== undefined) verdict.rule = decision.rule;
  if (decision.effect !== 'allow' || context.signing === undefined) return verdict;
  const host = namedHostOf(policy, call);
  const secrets = grantedSecretsOf(policy);
  const grant = signGrant(context.signing.seed, { sessionId: check.sessionId, callId: check.callId, tool: check.tool, input: check.input }, {
    issuedAt: context.now,
    ttlMs: context.signing.ttlMs,
    policy: decision.policy,
    ...(decision.policyVersion === undefined ? {} : { policyVersion: decision.policyVersion }),
    ...(host === undefined ? {} : { namedHosts: [host] }),
    ...(secrets.length === 0 ? {} : { secrets }),
  });
  return { ...verdict, grant };
}

/** The stored policy the agent names, or which one is missing; an agent that names none is allowed the tools it lists. */
function agentPolicyOf(check: PermissionCheck, policies: PolicyBook): { policy: Policy } | { missing: string } {
  if (check.agent.policy === undefined) return { policy: listedToolsPolicy(check.agent) };
  const stored = policies.get(check.agent.policy);
  return stored === undefined ? { missing: check.agent.policy } : { policy: stored };
}

/** An agent whose policy is not stored may do nothing: failing open would run it with no policy at all. */
function notApplied(name: string): PermissionVerdict {
  return { effect: 'deny', reason: `policy "${name}" is not applied; apply it with signalbox policies apply`, policy: name };
}
