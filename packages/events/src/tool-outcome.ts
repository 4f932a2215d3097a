import { assertNever } from './assert-never.ts';
import type { EventType, NewEvent } from './catalogue.ts';
import type { ToolOutcome, ToolResult } from './commands.ts';

/** The event types that record how a tool call ended: exactly one per call. */
const toolOutcomeTypes = ['tool.completed', 'tool.failed', 'tool.outcome_unknown'] as const;
type ToolOutcomeType = (typeof toolOutcomeTypes)[number];

/** A tool outcome event as the decider records it (a stored one, with its envelope, is one too). */
export type ToolOutcomeEvent = Extract<NewEvent, { type: ToolOutcomeType }>;

/** Whether `event` records how a tool call ended. */
export function isToolOutcome<E extends { type: EventType }>(event: E): event is Extract<E, { type: ToolOutcomeType }> {
  return (toolOutcomeTypes as readonly EventType[]).includes(event.type);
}

/** The call a result answers: a tool job, or a call as its session's log records it. */
export interface ToolCall {
  sessionId: string;
  callId: string;
  tool: string;
}

/** What the session of `call` is sent when it ended with `outcome`; an answer given without running the tool took no time. */
export function toolCallResult({ sessionId, callId, tool }: ToolCall, outcome: ToolOutcome, durationMs = 0): ToolResult {
  return { type: 'tool.result', sessionId, callId, tool, outcome, durationMs };
}

/** The event a session records for a tool call's result. Its inverse is `toolResultOf`. */
export function toolOutcomeEvent({ callId, tool, outcome, durationMs }: ToolResult): ToolOutcomeEvent {
  switch (outcome.status) {
    case 'completed': {
      // Keys only when set: without them, the event is the one a run recorded before they existed.
      const { output, wholeOutput, workspaceRevision } = outcome;
      return { type: 'tool.completed', data: { callId, tool, output, durationMs, ...(wholeOutput ? { wholeOutput } : {}), ...revisionOf(workspaceRevision) } };
    }
    case 'failed':
      return { type: 'tool.failed', data: { callId, tool, error: outcome.error, durationMs, ...revisionOf(outcome.workspaceRevision) } };
    case 'unknown':
      // A non-idempotent call cut off mid-run: the model hears it may or may not have happened.
      return { type: 'tool.outcome_unknown', data: { callId, tool, reason: outcome.reason } };
    default:
      return assertNever(outcome);
  }
}

/** The result a tool outcome event records, as the executor sent it to session `sessionId`. Its inverse is `toolOutcomeEvent`. */
export function toolResultOf(sessionId: string, event: ToolOutcomeEvent): ToolResult {
  const call = { sessionId, callId: event.data.callId, tool: event.data.tool };
  switch (event.type) {
    case 'tool.completed': {
      const { output, wholeOutput, durationMs, workspaceRevision } = event.data;
      return toolCallResult(call, { status: 'completed', output, ...(wholeOutput ? { wholeOutput } : {}), ...revisionOf(workspaceRevision) }, durationMs);
    }
    case 'tool.failed':
      return toolCallResult(call, { status: 'failed', error: event.data.error, ...revisionOf(event.data.workspaceRevision) }, event.data.durationMs);
    case 'tool.outcome_unknown':
      // The event keeps no duration: nobody knows how long the call ran.
      return toolCallResult(call, { status: 'unknown', reason: event.data.reason });
    default:
      return assertNever(event);
  }
}

function revisionOf(workspaceRevision: number | undefined): { workspaceRevision?: number } {
  return workspaceRevision === undefined ? {} : { workspaceRevision };
}

/** The workspace revision an event names: set on the outcome of a tool call that wrote to the workspace. */
export function workspaceRevisionOf(event: NewEvent): number | undefined {
  return event.type === 'tool.completed' || event.type === 'tool.failed' ? event.data.workspaceRevision : undefined;
}
