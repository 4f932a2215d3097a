import { z } from 'zod';
import { AgentName, SessionId, ToolName } from './ids.ts';
import { Policy, PolicyName } from './policy-document.ts';

/** Sessions deep a delegation may go: a lead, its specialists, theirs... */
export const maxDelegationDepth = 8;

/** Children a session runs at once unless its agent's `subagentConcurrency` says otherwise. */
export const defaultSubagentConcurrency = 20;

/** `agents.delegate`: start a child session of `agent` on `task`, with at most this slice of the budget left. */
export const DelegateInput = z.strictObject({
  agent: AgentName,
  task: z.string().trim().min(1).max(100_000),
  maxSteps: z.number().int().min(1).max(10_000).optional(),
  maxCostUsd: z.number().positive().max(1_000_000).optional(),
});
export type DelegateInput = z.infer<typeof DelegateInput>;

/** `agents.handoff`: pass the conversation to `agent`, whose answer becomes this session's; `note` says what it should know. */
export const HandoffInput = z.strictObject({
  agent: AgentName,
  note: z.string().trim().max(10_000).optional(),
});
export type HandoffInput = z.infer<typeof HandoffInput>;

/**
 * A session that delegated, as its children's permission checks carry it: its agent's policy (or
 * listed tools) and its task's policy. A child's calls are checked within every ancestor's, as delegated.
 */
export const DelegatingSession = z.strictObject({
  sessionId: SessionId,
  agent: z.strictObject({ name: AgentName, tools: z.array(ToolName), policy: PolicyName.optional() }),
  taskPolicy: Policy.optional(),
});
export type DelegatingSession = z.infer<typeof DelegatingSession>;

export const DelegationChain = z.array(DelegatingSession).min(1).max(maxDelegationDepth);

/** The slice of its parent's budget a child may spend. */
export const ChildBudget = z.strictObject({ maxSteps: z.number().int().min(1), maxCostUsd: z.number().nonnegative().optional() });
export type ChildBudget = z.infer<typeof ChildBudget>;

/**
 * Starts the child session `sessionId` of a delegation, on its `<prefix>.inbox.<child>.subagents`
 * subject, which only session actors publish: the parent and the call it answers, the run it belongs
 * to (the root's id), its agent, task and budget, and the chain of sessions whose rights it works within.
 */
export const SubagentStartCommand = z.strictObject({
  type: z.literal('subagent.start'),
  sessionId: SessionId,
  parent: z.strictObject({ sessionId: SessionId, callId: z.string().min(1).max(200) }),
  correlationId: SessionId,
  agent: AgentName,
  task: z.string().min(1).max(100_000),
  budget: ChildBudget,
  delegatedBy: DelegationChain,
});
export type SubagentStartCommand = z.infer<typeof SubagentStartCommand>;
