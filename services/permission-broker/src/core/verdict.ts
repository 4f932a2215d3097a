import type { DelegatingSession, PermissionCheck, PermissionVerdict, Policy } from '@signalbox/events';
import { childPolicy, evaluate, listedToolsPolicy, narrow, signGrant, type PolicyDecision } from '@signalbox/policy';
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
 * narrowed by the task's and, for a child session, bounded by what each session above it may delegate;
 * evaluated on the call; an `allow` carries a signed grant when the broker signs.
 */
export function decidePermission(check: PermissionCheck, context: CheckContext): PermissionVerdict {
  const own = sessionPolicyOf(check, context.policies);
  if ('missing' in own) return notApplied(own.missing);
  const policy = withinDelegators(own.policy, check.delegatedBy ?? [], context.policies);
  if ('missing' in policy) return notApplied(policy.missing);
  return verdictUnder(check, policy.policy, context);
}

/** A session's own policy: its agent's (stored, or made of the tools it lists), narrowed by its task's. */
function sessionPolicyOf(session: Pick<PermissionCheck, 'agent' | 'taskPolicy'>, policies: PolicyBook): { policy: Policy } | { missing: string } {
  const agentPolicy = agentPolicyOf(session, policies);
  if ('missing' in agentPolicy || session.taskPolicy === undefined) return agentPolicy;
  return { policy: narrow(agentPolicy.policy, session.taskPolicy) };
}

/** A child session's policy within every session that delegated to it, as each may delegate: rights only shrink down a tree. */
function withinDelegators(policy: Policy, delegators: readonly DelegatingSession[], policies: PolicyBook): { policy: Policy } | { missing: string } {
  let bounded = policy;
  for (const delegator of delegators) {
    const theirs = sessionPolicyOf(delegator, policies);
    if ('missing' in theirs) return theirs;
    bounded = childPolicy(theirs.policy, bounded);
  }
  return { policy: bounded };
}

function verdictUnder(check: PermissionCheck, policy: Policy, context: CheckContext): PermissionVerdict {
  const call = { tool: check.tool, input: check.input };
  const decision = approvedWhereAsked(evaluate(policy, call), check.approved);
  const verdict: PermissionVerdict = { effect: decision.effect, reason: decision.reason, policy: decision.policy };
  if (decision.policyVersion !== undefined) verdict.policyVersion = decision.policyVersion;
  if (decision.rule !== undefined) verdict.rule = decision.rule;
  if (decision.approvalTimeoutMs !== undefined) verdict.approvalTimeoutMs = decision.approvalTimeoutMs;
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

/**
 * A call a person approved: what the policy holds for approval is allowed, saying by whom. Only an
 * `ask` turns: a call the policy now denies (changed since it asked) stays denied.
 */
function approvedWhereAsked(decision: PolicyDecision, approved: PermissionCheck['approved']): PolicyDecision {
  if (decision.effect !== 'ask' || approved === undefined) return decision;
  const { approvalTimeoutMs: _asked, ...decided } = decision;
  return { ...decided, effect: 'allow', reason: `${decision.reason}; approved by ${approved.by} (approval ${approved.approvalId})` };
}

/** The stored policy the agent names, or which one is missing; an agent that names none is allowed the tools it lists. */
function agentPolicyOf(session: Pick<PermissionCheck, 'agent'>, policies: PolicyBook): { policy: Policy } | { missing: string } {
  if (session.agent.policy === undefined) return { policy: listedToolsPolicy(session.agent) };
  const stored = policies.get(session.agent.policy);
  return stored === undefined ? { missing: session.agent.policy } : { policy: stored };
}

/** An agent whose policy is not stored may do nothing: failing open would run it with no policy at all. */
function notApplied(name: string): PermissionVerdict {
  return { effect: 'deny', reason: `policy "${name}" is not applied; apply it with signalbox policies apply`, policy: name };
}
