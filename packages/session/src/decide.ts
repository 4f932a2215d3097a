import { toolOutcomeEvent, type AgentDefinition, type Budget, type ForkOrigin, type ModelResponse, type NewEvent, type ToolDefinition, type ToolResult } from '@signalbox/events';
import { deciderVersion } from './decider-version.ts';
import { fork } from './fork.ts';
import { completed, nothing, nextStep, outstandingWork, placeholderMeta, recordThenContinue, type Decision } from './next-step.ts';
import { evolve, type ActiveState, type SessionState } from './state.ts';

export { maxModelAttempts } from './next-step.ts';
export type { Decision, SessionEffect } from './next-step.ts';

/** What the session actor is asked to do. Results of model calls come back as commands too. */
export type SessionCommand =
  | {
      type: 'StartSession';
      sessionId: string;
      correlationId: string;
      agent: AgentDefinition;
      tools: ToolDefinition[];
      input: string;
      budget: Budget;
      rubric?: unknown;
      metadata?: Record<string, string>;
      /** Set only by replay: the decider version the recorded session was created under (else `deciderVersion`). */
      deciderVersion?: number;
    }
  | { type: 'RecordModelReply'; callId: string; response: ModelResponse; costUsd: number; latencyMs: number }
  | { type: 'RecordModelFailure'; callId: string; code: string; message: string; retryable: boolean }
  | { type: 'RecordToolResult'; result: ToolResult }
  | { type: 'FailSession'; reason: string }
  /** Start a session whose first events are another's (`prefix`, already edited), then continue live. */
  | {
      type: 'ForkSession';
      sessionId: string;
      correlationId: string;
      from: ForkOrigin;
      prefix: NewEvent[];
      agent?: { model?: string | undefined; system?: string | undefined } | undefined;
      /** Set only by replay, as for StartSession: a fork is a new session, under the running code's version. */
      deciderVersion?: number;
    }
  /** Pick up whatever the log says is unfinished: after a crash, a redelivered message asks for this. */
  | { type: 'Resume' };

/**
 * What the session does next, and what it records. A session is decided by the rules of the
 * decider version it was created under (`state.deciderVersion`): see decider-version.ts.
 */
export function decide(command: SessionCommand, state: SessionState): Decision {
  if (command.type === 'StartSession') return start(command, state);
  if (command.type === 'ForkSession') return fork(command, state);
  if (state.status === 'new' || state.status === 'completed') return nothing;
  switch (command.type) {
    case 'RecordModelReply':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordReply(command, state) : nothing;
    case 'RecordModelFailure':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordFailure(command, state) : nothing;
    case 'RecordToolResult':
      return isPendingTool(state, command.result.callId) ? recordThenContinue(state, toolOutcomeEvent(command.result)) : nothing;
    case 'FailSession':
      return { events: [completed(state, 'failed', { reason: command.reason })], effects: [] };
    case 'Resume':
      return state.status === 'deciding' ? nextStep(state) : outstandingWork(state);
  }
}

function start(command: Extract<SessionCommand, { type: 'StartSession' }>, state: SessionState): Decision {
  if (state.status !== 'new') return nothing; // idempotent submission: the session exists
  const { agent, tools, input, budget, rubric, metadata } = command;
  const created: NewEvent = { type: 'session.created', data: { agent, input, tools, budget, rubric, metadata, deciderVersion: command.deciderVersion ?? deciderVersion } };
  const after = evolve(state, { ...created, ...placeholderMeta(command.sessionId, command.correlationId, 1) });
  const rest = after.status === 'deciding' ? nextStep(after) : nothing;
  return { events: [created, ...rest.events], effects: rest.effects };
}

function recordReply(command: Extract<SessionCommand, { type: 'RecordModelReply' }>, state: ActiveState): Decision {
  const { response } = command;
  return recordThenContinue(state, {
    type: 'model.responded',
    data: {
      callId: command.callId,
      model: response.model,
      content: response.content,
      stopReason: response.stopReason,
      usage: response.usage,
      costUsd: command.costUsd,
      latencyMs: command.latencyMs,
    },
  });
}

function recordFailure(command: Extract<SessionCommand, { type: 'RecordModelFailure' }>, state: ActiveState & { attempt: number }): Decision {
  const { callId, code, message, retryable } = command;
  return recordThenContinue(state, { type: 'model.failed', data: { callId, code, message, retryable, attempt: state.attempt } });
}

function isPendingTool(state: ActiveState, callId: string): state is ActiveState & { status: 'awaiting_tools' } {
  return state.status === 'awaiting_tools' && state.pending.some((call) => call.callId === callId);
}
