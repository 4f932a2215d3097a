import { canonicalJson, defaultApprovalTimeoutMs, type ApprovalScope, type NewEvent, type PermissionVerdict } from '@signalbox/events';
import { approvalIdOf } from './approval-id.ts';
import { nothing, recordThenContinue, type Decision, type SessionEffect } from './next-step.ts';
import { permissionCheck, type CheckedCall } from './permissions.ts';
import type { ActiveState, PendingTool, WaitingApproval } from './state.ts';

/** A person's answer to a call held for approval, or the approval timer's denial at the deadline. */
export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  by: string;
  note?: string | undefined;
  scope?: ApprovalScope | undefined;
}

/** Who denies a call nobody answered by its deadline. */
export const approvalTimeoutBy = 'timeout';

/** How much of a held call's input a person is shown (the whole input is in its `tool.requested`). */
export const approvalInputChars = 2_000;

/** Whether a policy's `ask` holds the call for a person (decider version 5 on); before, it is refused. */
export function asksPeople(state: ActiveState): boolean {
  return state.deciderVersion >= 5;
}

/**
 * Holds a call for a person: records the broker's verdict whole (replay rebuilds it from here), the
 * input as a person reads it, and the deadline by the log's clock, after which no answer is a denial;
 * and asks the shell to arm the timer that denies it then.
 */
export function holdForApproval(state: ActiveState, call: CheckedCall, verdict: PermissionVerdict): { event: NewEvent; effect: SessionEffect } {
  const { grant: _grant, ...asked } = verdict;
  const { callId, tool } = call;
  const approvalId = approvalIdOf(state.sessionId, callId);
  const deadline = state.clock.latestAt + (verdict.approvalTimeoutMs ?? defaultApprovalTimeoutMs);
  const data = { ...asked, effect: 'ask' as const, approvalId, callId, tool, input: inputShown(call.input), deadline };
  return { event: { type: 'approval.requested', data }, effect: awaitApproval(state, approvalId, deadline) };
}

/** The timer a held call needs: it denies the call at its deadline unless a person answers first. */
export function awaitApproval(state: ActiveState, approvalId: string, deadline: number): SessionEffect {
  return { type: 'AwaitApproval', sessionId: state.sessionId, approvalId, deadline };
}

/**
 * Records a person's answer to a call the session holds for approval. Approved, the call is checked
 * again with the approval, so the broker signs its grant, and then runs; denied (or timed out), it
 * is answered with the refusal and the session goes on. An answer to a call not held (answered
 * already, or not this session's) records nothing.
 */
export function recordApproval(state: ActiveState, decision: ApprovalDecision): Decision {
  const call = state.status === 'awaiting_tools' ? state.pending.find((pending) => heldFor(pending, decision.approvalId)) : undefined;
  if (!call) return nothing;
  const { approvalId, approved, by, note, scope } = decision;
  const resolved: NewEvent = {
    type: 'approval.resolved',
    data: { approvalId, callId: call.callId, tool: call.tool, approved, by, ...(note === undefined ? {} : { note }), ...(scope === undefined ? {} : { scope }) },
  };
  const close: SessionEffect = { type: 'CloseApproval', approvalId };
  if (!approved) {
    const rest = recordThenContinue(state, resolved, notApproved(call, by, note));
    return { events: rest.events, effects: [close, ...rest.effects] };
  }
  // A paused session checks the call when it is resumed.
  if (state.paused) return { events: [resolved], effects: [close] };
  const check = permissionCheck(state, call, { approvalId, by });
  return { events: [resolved], effects: [close, { type: 'CheckPermissions', checks: [check] }] };
}

/** Whether `call` waits for the answer to `approvalId`: held, and not approved yet. */
function heldFor(call: PendingTool, approvalId: string): boolean {
  return call.approval?.approvalId === approvalId && call.approval.approvedBy === undefined;
}

/** Whether `call` is held for a person still: it is neither checked nor dispatched. */
export function isHeld(call: PendingTool): call is PendingTool & { approval: WaitingApproval } {
  return call.approval !== undefined && call.approval.approvedBy === undefined;
}

/** The refusal a call not approved is answered with: who said no and why, or that nobody answered in time. */
function notApproved(call: PendingTool, by: string, note: string | undefined): NewEvent {
  const why = note === undefined ? '' : `: ${note}`;
  const error = by === approvalTimeoutBy ? 'permission denied: nobody approved the call by its deadline' : `permission denied: not approved by ${by}${why}`;
  return { type: 'tool.failed', data: { callId: call.callId, tool: call.tool, error, durationMs: 0 } };
}

/** The input as a person reads it: JSON, a secret reference shown as the vault's mask, cut to a screenful. */
function inputShown(input: unknown): string {
  const json = canonicalJson(input).replace(/\{\{secret:([A-Za-z0-9_]+)\}\}/g, '[secret:$1]');
  return json.length <= approvalInputChars ? json : `${json.slice(0, approvalInputChars)}… (${json.length} characters in all)`;
}
