import { toolOutcomeEvent, type AgentDefinition, type DelegatingSession, type GateVerdict, type Budget, type BudgetLimits, type ForkOrigin, type ModelResponse, type NewEvent, type OutcomeSettings, type OutputSchema, type Policy, type SupervisionConfig, type ToolDefinition, type ToolResult, type Usage } from '@signalbox/events';
import { isHeld, recordApproval, type ApprovalDecision } from './approvals.ts';
import { deciderVersion } from './decider-version.ts';
import { close, interrupt, receiveMessage, type Close, type Interrupt, type UserMessage } from './conversations.ts';
import { receiveSignal, type Signal } from './waits.ts';
import { compactedEvent, type CompactionResult } from './compaction.ts';
import { memoryLoadedEvent, type MemoryLoad } from './memory.ts';
import { childEnded, handoffEnd, notifyParent, spawnQueued, steerChildren, type ChildResult, type ParentCall } from './delegation.ts';
import { intervene, type Intervention } from './interventions.ts';
import { recordModelGate } from './supervisor-gate.ts';
import { recordJudgement, type Judgement } from './judgements.ts';
import { recordGrade, type Grade } from './grades.ts';
import { fork } from './fork.ts';
import { rewoundAgain } from './rewind.ts';
import { recordVerdicts } from './gated-calls.ts';
import { isGated, type CallVerdict } from './permissions.ts';
import { afterProposed, completed, nothing, nextStep, outstandingWork, placeholderMeta, recordThenContinue, type Decision } from './next-step.ts';
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
      /** The task's own policy, narrowing the agent's. */
      taskPolicy?: Policy | undefined;
      /** The session's tools not safe to run twice (as advertised), for the budget's `maxNonIdempotentCalls`. */
      nonIdempotentTools?: string[] | undefined;
      /** The task's outcome, replacing the agent's: its final answer is graded (decider version 8 on). */
      outcome?: OutcomeSettings | undefined;
      /** The task's `memory: false`: the session uses no memory, and no consolidation reads it (decider version 10 on). */
      memory?: boolean | undefined;
      /** A child session's: who spawned it, for which call, and the sessions whose rights bound its own (decider version 11 on). */
      parent?: ParentCall | undefined;
      delegatedBy?: DelegatingSession[] | undefined;
      /** The task's `output` schema, replacing the agent's: the final answer must satisfy it (decider version 12 on). */
      output?: OutputSchema | undefined;
      /** Set only by replay: the decider version the recorded session was created under (else `deciderVersion`). */
      deciderVersion?: number;
    }
  | { type: 'RecordModelReply'; callId: string; response: ModelResponse; costUsd: number; latencyMs: number }
  | { type: 'RecordModelFailure'; callId: string; code: string; message: string; retryable: boolean; usage?: Usage | undefined; costUsd?: number | undefined }
  | { type: 'RecordToolResult'; result: ToolResult }
  /** The permission broker's verdicts on the calls a `CheckPermissions` asked about (decider version 3 on). */
  | {
      type: 'RecordPermissions';
      verdicts: CallVerdict[];
      /** The supervisor's gate's verdicts on the allowed calls, when the agent has a gate (decider version 7 on). */
      gate?: GateVerdict[] | undefined;
    }
  /** A person's answer to a call held for approval, or its timer's denial (decider version 5 on). */
  | ({ type: 'RecordApproval' } & ApprovalDecision)
  /** The supervisor's gate stopped the model call the session waits on (decider version 7 on, `gate.modelCalls`). */
  | { type: 'RecordModelGate'; callId: string; verdict: GateVerdict }
  /** A supervisor's intervention (decider version 6 on). */
  | ({ type: 'Intervene' } & Intervention)
  /** A supervisor's judge's verdict and cost (decider version 7 on). */
  | ({ type: 'RecordJudgement' } & Judgement)
  /** The grader's grade of a submitted attempt (decider version 8 on, a session with an outcome). */
  | ({ type: 'RecordGrade' } & Grade)
  | { type: 'FailSession'; reason: string }
  /** Start a session whose first events are another's (`prefix`, already edited), then continue live. */
  | {
      type: 'ForkSession';
      sessionId: string;
      correlationId: string;
      from: ForkOrigin;
      prefix: NewEvent[];
      agent?: { model?: string | undefined; system?: string | undefined; supervision?: SupervisionConfig | undefined } | undefined;
      /** Set only by replay, as for StartSession: a fork is a new session, under the running code's version. */
      deciderVersion?: number;
    }
  /** Pick up whatever the log says is unfinished: after a crash, a redelivered message asks for this. */
  | { type: 'Resume' }
  /** Take no next step until resumed; results that arrive meanwhile are recorded. */
  | { type: 'PauseSession'; reason: string; by: string }
  /** Go on from where a pause stopped, with the budget's limits set to `budget` when given. */
  | { type: 'ResumeSession'; by: string; budget?: BudgetLimits | undefined }
  /** A user's message: the next turn, or queued for it (decider version 9 on). */
  | ({ type: 'ReceiveMessage' } & UserMessage)
  /** Stop the running step and wait for the next message (decider version 9 on). */
  | ({ type: 'Interrupt' } & Interrupt)
  /** End the session: told to, or idle too long (decider version 9 on). */
  | ({ type: 'CloseSession' } & Close)
  /** A named signal: a `wait.signal` call waiting for it completes (decider version 9 on). */
  | ({ type: 'ReceiveSignal' } & Signal)
  /** The summary a `CompactContext` asked for, or why it could not be written (decider version 9 on). */
  | ({ type: 'RecordCompaction' } & CompactionResult)
  /** The entries a `LoadMemory` found (decider version 10 on): recorded as `memory.loaded`, then the first model call. */
  | ({ type: 'RecordMemoryLoaded' } & MemoryLoad)
  /** How a child session this one spawned ended (decider version 11 on): its answer is its call's result. */
  | ({ type: 'RecordChildResult' } & ChildResult);

/**
 * What the session does next, and what it records. A session is decided by the rules of the
 * decider version it was created under (`state.deciderVersion`): see decider-version.ts.
 */
export function decide(command: SessionCommand, state: SessionState): Decision {
  const decision = decideCommand(command, state);
  if (state.status === 'new' || state.status === 'completed') return asChildAgain(command, state, decision);
  const completed = decision.events.find((event) => event.type === 'session.completed');
  const tree = [...(completed?.type === 'session.completed' ? notifyParent(state, completed.data) : []), ...steerChildren(state, decision.events)];
  return tree.length === 0 ? decision : { ...decision, effects: [...decision.effects, ...tree] };
}

/**
 * A child session that ended, started or picked up again (its parent, after a crash, asks for it
 * again): it tells its parent how it ended once more, which the parent records once.
 */
function asChildAgain(command: SessionCommand, state: SessionState, decision: Decision): Decision {
  if (state.status !== 'completed' || (command.type !== 'StartSession' && command.type !== 'Resume')) return decision;
  return { ...decision, effects: [...decision.effects, ...notifyParent(state, state.outcome)] };
}

function decideCommand(command: SessionCommand, state: SessionState): Decision {
  if (command.type === 'StartSession') return start(command, state);
  if (command.type === 'ForkSession') return fork(command, state);
  // A rewind that ended the session may be delivered again: its fork is asked for again.
  if (command.type === 'Intervene' && state.status === 'completed') return rewoundAgain(state, command);
  if (state.status === 'new' || state.status === 'completed') return nothing;
  switch (command.type) {
    case 'RecordModelReply':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordReply(command, state) : nothing;
    case 'RecordModelFailure':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordFailure(command, state) : nothing;
    case 'RecordToolResult':
      return isPendingTool(state, command.result.callId) ? recordThenContinue(state, toolOutcomeEvent(command.result)) : nothing;
    case 'RecordPermissions':
      // A paused session takes no step, dispatches included: its calls are checked again when it is resumed.
      return isGated(state) && !state.paused ? recordVerdicts(state, command.verdicts, command.gate) : nothing;
    case 'RecordApproval':
      return recordApproval(state, command);
    case 'Intervene':
      return intervene(state, command);
    case 'RecordModelGate':
      return recordModelGate(state, command.callId, command.verdict);
    case 'RecordJudgement':
      return recordJudgement(state, command);
    case 'RecordGrade': {
      const { type: _type, ...grade } = command;
      return recordGrade(state, grade);
    }
    case 'FailSession':
      return { events: [completed(state, 'failed', { reason: command.reason })], effects: [] };
    case 'Resume':
      return continueFrom(state);
    case 'PauseSession':
      // Pausing a paused session changes nothing: the first pause's reason stands.
      return state.paused ? nothing : { events: [{ type: 'session.paused', data: { reason: command.reason, by: command.by } }], effects: [] };
    case 'ResumeSession':
      return state.paused ? resume(command, state) : nothing;
    case 'ReceiveMessage':
      return receiveMessage(state, command);
    case 'Interrupt':
      return interrupt(state, command);
    case 'CloseSession':
      return close(state, command);
    case 'ReceiveSignal':
      return receiveSignal(state, command);
    case 'RecordChildResult': {
      const { type: _type, ...result } = command;
      const ended = childEnded(state, result);
      if (ended.length === 0) return nothing;
      // Ending a child leaves the session active (it waits for its other calls, or decides next).
      const after = afterProposed(state, ended) as ActiveState;
      // A handoff's child ended: so does the session, as it did.
      const end = handoffEnd(after, result);
      if (end) return { events: [...ended, end], effects: [] };
      // Its end makes room for a delegation that waited: started in the same decision.
      const queued = spawnQueued(after);
      const rest = recordThenContinue(state, ...ended, ...queued.events);
      return { events: rest.events, effects: [...queued.effects, ...rest.effects] };
    }
    case 'RecordMemoryLoaded': {
      const { type: _type, ...load } = command;
      const loaded = memoryLoadedEvent(state, load);
      return loaded ? recordThenContinue(state, loaded) : nothing;
    }
    case 'RecordCompaction': {
      // Only while the model call waits for it: deciding after an input, for the cut it asked for.
      const compacted = state.status === 'deciding' && state.after.kind === 'input' && !state.paused ? compactedEvent(state, command) : undefined;
      return compacted ? recordThenContinue(state, compacted) : nothing;
    }
  }
}

/** What the log leaves to do: the next step of a deciding session, else the calls it waits on (none while paused). */
function continueFrom(state: ActiveState): Decision {
  return state.status === 'deciding' ? nextStep(state) : outstandingWork(state);
}

/**
 * Records the resume, then does what the pause held back: the next step, or the model or tool calls
 * the session was waiting on when it paused (asked again: a reply or result lost meanwhile is not waited for forever).
 */
function resume(command: Extract<SessionCommand, { type: 'ResumeSession' }>, state: ActiveState): Decision {
  const { by, budget } = command;
  const resumed: NewEvent = { type: 'session.resumed', data: { by, ...(budget ? { budget } : {}) } };
  const after = evolve(state, { ...resumed, ...placeholderMeta(state.sessionId, state.correlationId, state.n + 1) });
  if (after.status === 'new' || after.status === 'completed') return { events: [resumed], effects: [] };
  const rest = continueFrom(after);
  return { events: [resumed, ...rest.events], effects: rest.effects };
}

function start(command: Extract<SessionCommand, { type: 'StartSession' }>, state: SessionState): Decision {
  if (state.status !== 'new') return nothing; // idempotent submission: the session exists
  const { agent, tools, input, budget, rubric, metadata, taskPolicy, nonIdempotentTools, outcome, memory, parent, delegatedBy, output } = command;
  const created: NewEvent = { type: 'session.created', data: { agent, input, tools, budget, rubric, metadata, taskPolicy, nonIdempotentTools, outcome, memory, parent, delegatedBy, output, deciderVersion: command.deciderVersion ?? deciderVersion } };
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
  const { callId, code, message, retryable, usage, costUsd } = command;
  const spent = usage === undefined ? {} : { usage, costUsd: costUsd ?? 0 };
  return recordThenContinue(state, { type: 'model.failed', data: { callId, code, message, retryable, attempt: state.attempt, ...spent } });
}

/** Whether the session waits for `callId`'s result: a call held for approval never ran, so it has none. */
function isPendingTool(state: ActiveState, callId: string): state is ActiveState & { status: 'awaiting_tools' } {
  return state.status === 'awaiting_tools' && state.pending.some((call) => call.callId === callId && !isHeld(call));
}
