import { sessionToolNames, type NewEvent, type PermissionCheck, type PermissionVerdict, type ToolGrant, type ToolJob } from '@signalbox/events';
import type { ActiveState, PendingTool } from './state.ts';
import { delegationFrom } from './delegation.ts';

/** The broker's verdict on one call, as the shell got it (or made it, when no broker answered in time). */
export interface CallVerdict {
  callId: string;
  verdict: PermissionVerdict;
}

/** A call the decider wants checked: the job it would dispatch. */
export type CheckedCall = Pick<ToolJob, 'callId' | 'tool' | 'input'>;

/** Whether the session's tool calls pass the permission broker first (decider version 3 on). */
export function isGated(state: ActiveState): boolean {
  return state.deciderVersion >= 3;
}

/**
 * What the broker is asked about `call`: the call, the agent as the session was created with it (its
 * tools with the memory tools, when the session uses memory: without a policy of its own, what it lists
 * is allowed), the task's own policy, and the approval a person gave it (for this call, or for its tool in the session).
 */
export function permissionCheck(state: ActiveState, call: CheckedCall & Pick<PendingTool, 'approval'>, approved = approvalOf(state, call)): PermissionCheck {
  return {
    sessionId: state.sessionId,
    callId: call.callId,
    tool: call.tool,
    input: call.input,
    agent: checkedAgent(state),
    ...(state.taskPolicy === null ? {} : { taskPolicy: state.taskPolicy }),
    ...(state.delegatedBy === null ? {} : { delegatedBy: state.delegatedBy }),
    ...(approved === undefined ? {} : { approved }),
  };
}

/** The agent as the broker judges its calls: the policy it names, or the tools its sessions are given (the memory and delegation tools with those it lists, from decider versions 10 and 11). */
export function checkedAgent(state: ActiveState): PermissionCheck['agent'] {
  const { name, policy } = state.agent;
  const tools = state.memoryUse === null && state.deciderVersion < delegationFrom ? state.agent.tools : sessionToolNames(state.agent, { memory: state.memoryUse !== null });
  return policy === undefined ? { name, tools } : { name, tools, policy };
}

/** The approval that answers a policy's `ask` on `call`: its own, once given, else its tool's for the session. */
function approvalOf(state: ActiveState, call: CheckedCall & Pick<PendingTool, 'approval'>): PermissionCheck['approved'] {
  const { approval } = call;
  if (approval?.approvedBy !== undefined) return { approvalId: approval.approvalId, by: approval.approvedBy };
  return state.sessionApprovals[call.tool];
}

/** The verdict as the log records it, whole, so replay rebuilds the same command from it. */
export function verdictEvent(call: CheckedCall, verdict: PermissionVerdict): NewEvent {
  const { callId, tool } = call;
  if (verdict.effect === 'allow') return { type: 'permission.granted', data: { ...verdict, effect: 'allow', callId, tool } };
  const { grant: _grant, ...refusal } = verdict;
  return { type: 'permission.denied', data: { ...refusal, effect: verdict.effect, callId, tool } };
}

/** A refused call's result: the reason, so the model can act on it (ask for less, or say it cannot). */
export function refusedCall(call: CheckedCall, verdict: PermissionVerdict): NewEvent {
  // Before decider version 5 nothing asks a person: a call a policy holds for approval is refused, and says so.
  const reason = verdict.effect === 'ask' ? `${verdict.reason}; approvals are not available, so the call is refused` : verdict.reason;
  return { type: 'tool.failed', data: { callId: call.callId, tool: call.tool, error: `permission denied: ${reason}`, durationMs: 0 } };
}

/** The job for a waiting or granted call, with the broker's grant for the executor when there is one. */
export function toolJob(state: ActiveState, call: PendingTool, grant: ToolGrant | undefined, firstDispatch: boolean): ToolJob {
  const { callId, tool, input, idempotencyKey } = call;
  return {
    sessionId: state.sessionId,
    correlationId: state.correlationId,
    callId,
    tool,
    input,
    idempotencyKey,
    ...(firstDispatch ? { firstDispatch: true } : {}),
    ...(grant === undefined ? {} : { grant }),
  };
}

/** The verdicts a run of recorded permission events holds, for replaying the command that recorded them. */
export function recordedVerdict(event: NewEvent): CallVerdict | undefined {
  if (event.type === 'approval.requested') {
    const { callId, tool: _tool, approvalId: _id, input: _input, deadline: _deadline, ...verdict } = event.data;
    return { callId, verdict };
  }
  if (event.type !== 'permission.granted' && event.type !== 'permission.denied') return undefined;
  const { callId, tool: _tool, ...verdict } = event.data;
  return { callId, verdict };
}
