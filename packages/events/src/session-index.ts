import { z } from 'zod';
import { AgentName, ApprovalId, SessionId, ToolName } from './ids.ts';

/** A call waiting for approval, as the sessions index shows it (from its `approval.requested`). */
export const WaitingApproval = z.object({
  approvalId: ApprovalId,
  callId: z.string().min(1),
  tool: ToolName,
  /** The start of the input as `approval.requested` shows it. */
  input: z.string(),
  reason: z.string(),
  deadline: z.number().int().nonnegative(),
});
export type WaitingApproval = z.infer<typeof WaitingApproval>;

/** One row of the `sbx-sessions` bucket: a session's latest status, derived from its log, for listing. */
export const SessionIndexEntry = z.object({
  sessionId: SessionId,
  correlationId: SessionId,
  agent: AgentName,
  /** `paused` from `session.paused` until `session.resumed`; `idle` while a conversation waits for a message (decider version 9 on); `grading` while an answer waits for its grade (version 8 on). */
  status: z.enum(['running', 'paused', 'idle', 'grading', 'succeeded', 'failed', 'aborted']),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  lastN: z.number().int().nonnegative(),
  output: z.string().optional(),
  reason: z.string().optional(),
  /** What the session has spent so far (its totals' `costUsd`); absent on rows written before it was recorded. */
  costUsd: z.number().nonnegative().optional(),
  /** Model steps taken so far; absent on rows written before it was recorded. */
  steps: z.number().int().nonnegative().optional(),
  /** Calls waiting for a person's approval, oldest first: what `signalbox approvals` lists. */
  approvals: z.array(WaitingApproval).optional(),
});
export type SessionIndexEntry = z.infer<typeof SessionIndexEntry>;
