import type { ChildResultCommand, EventData, InboxCommand, EventMeta, ForkOrigin, GradeJob, MemorySearchInput, MemoryWriteInput, ModelRequest, NewEvent, PermissionCheck, SubagentStartCommand, ToolJob, ToolOutcome } from '@signalbox/events';
import { loadMemory, needsMemory } from './memory.ts';
import { lastMessage } from './conversation.ts';
import { planModelCall } from './model-request.ts';
import { toolBudgetSpent, wallClockSpent } from './budget-limits.ts';
import { awaitApproval, isHeld } from './approvals.ts';
import { isGated, permissionCheck, toolJob } from './permissions.ts';
import { modelCallGate, supervisorGate, type SupervisorGate } from './supervisor-gate.ts';
import { gradeJob, submitted, takesGrades } from './submission.ts';
import { awaitMessage, keepsOpen, type Interrupt } from './conversations.ts';
import { compactionCallId, needsCompaction, nextCut, requestTokens } from './compaction.ts';
import { evolve, type ActiveState, type DecidingState, type PendingTool, type SessionState } from './state.ts';
import { runBuiltIn } from './waits.ts';
import { spawnAgain } from './delegation.ts';
import { checkAnswer, outputAttempts, outputRejected, unsatisfiedReason } from './structured-output.ts';

/** Work for the shell. The decider never performs it; results come back as commands. */
export type SessionEffect =
  /** `request` holds the messages the state holds; the shell prepends `earlierMessages` more from the transcript store. */
  | { type: 'CallModel'; callId: string; attempt: number; model: string; request: ModelRequest; earlierMessages: number; earlierFrom?: number; digest: string; gate?: SupervisorGate }
  | { type: 'DispatchTool'; job: ToolJob }
  /**
   * Ask the permission broker about each call, then (with `gate`) the supervisor about the calls it
   * allowed; the verdicts come back as `RecordPermissions`.
   */
  | { type: 'CheckPermissions'; checks: PermissionCheck[]; gate?: SupervisorGate }
  /** Arm the durable timer that denies a call held for approval at `deadline` (ms since the epoch), unless answered first. */
  | { type: 'AwaitApproval'; sessionId: string; approvalId: string; deadline: number }
  /** The approval is answered: its timer may go. */
  | { type: 'CloseApproval'; approvalId: string }
  /** Ask for a fork of the session (a supervisor's rewind) on the fork's inbox: asked again, the same fork. */
  | { type: 'StartFork'; sessionId: string; from: ForkOrigin }
  /**
   * Send an attempt to the grader pool (decider version 8 on): its grade comes back as `RecordGrade`.
   * Sent again, the same job; `round` counts the grades of it that came with a problem, so a job sent
   * again after one is a new message, not a duplicate of the job already graded.
   */
  | { type: 'DispatchGrade'; job: GradeJob; round: number }
  /**
   * Stop the session's running step (decider version 9 on): the actor making its model call abandons
   * it, the executors running its tools abort them, and `calls` (the calls it cancelled) are not begun
   * after it by an executor that heard it. Heard on a core subject, by whoever runs them.
   */
  | { type: 'StopStep'; sessionId: string; interrupt: Interrupt; calls: string[] }
  /** Arm the durable timer that closes an idle session at `deadline` unless a message comes first; armed again, it replaces itself. */
  | { type: 'AwaitIdle'; sessionId: string; idleSince: number; deadline: number; timeoutMs: number }
  /** The session closed: its idle timer may go. */
  | { type: 'CloseIdle'; sessionId: string }
  /**
   * Arm the durable timer that answers a built-in wait at `at` (decider version 9 on): its result is the
   * call's, `outcome`, sent to the session as any tool's. Armed again, it replaces itself.
   */
  | { type: 'WakeAt'; sessionId: string; callId: string; tool: string; at: number; outcome: ToolOutcome; durationMs: number }
  /** The wait was answered otherwise (its signal came, an interrupt): its timer may go. */
  | { type: 'CancelWake'; sessionId: string; callId: string }
  /**
   * Summarise the conversation's messages `from` up to `upTo` (with the previous summary) by a model
   * call (decider version 9 on): the shell reads them whole, asks `model` (`compactionRequest`), and the
   * result comes back as `RecordCompaction`; the model call the session was about to make waits for it.
   */
  | { type: 'CompactContext'; callId: string; model: string; from: number; upTo: number; previous?: string; tokensBefore: number }
  /**
   * Load the entries of `store` (its head, or `version` when the agent pins one) most relevant to `query`
   * for `agent`, at most `limit` (decider version 10 on): they come back as `RecordMemoryLoaded`, which the
   * session's first model call waits for.
   */
  | { type: 'LoadMemory'; sessionId: string; agent: string; store: string; query: string; limit: number; version?: number }
  /** Answer a memory tool's call from `store` (decider version 10 on): its result comes back as any tool's. */
  | { type: 'RunMemoryTool'; sessionId: string; agent: string; store: string; callId: string; tool: 'memory.search'; input: MemorySearchInput }
  | { type: 'RunMemoryTool'; sessionId: string; agent: string; store: string; callId: string; tool: 'memory.write'; input: MemoryWriteInput }
  /** Start a delegation's child session on its own subagents subject (decider version 11 on): asked again, the same child. */
  | { type: 'SpawnSubagent'; command: SubagentStartCommand }
  /** Tell the parent how this child session ended (decider version 11 on): told again, it records it once. */
  | { type: 'NotifyParent'; command: ChildResultCommand }
  /** Pause, resume or close a running child as its lead was (decider version 11 on), under `messageId`. */
  | { type: 'SteerChild'; command: InboxCommand; messageId: string };

export interface Decision {
  events: NewEvent[];
  effects: SessionEffect[];
}

/** Attempts per model call before the session fails; the SDKs already retry each attempt. */
export const maxModelAttempts = 3;

export const nothing: Decision = { events: [], effects: [] };

/**
 * What follows from what a deciding session recorded last. Every decision that records
 * something continues through here, and so does resuming one cut off between its events.
 */
export function nextStep(state: DecidingState): Decision {
  if (state.paused) return nothing; // a paused session takes its next step when resumed
  switch (state.after.kind) {
    case 'input':
      return nextModelCall(state);
    case 'reply':
      return afterReply(state, state.after.stopReason);
    case 'failure':
      return afterFailure(state, state.after);
    case 'graded':
      return { events: [gradedEnd(state, state.after)], effects: [] };
  }
}

/** The next model turn, or the end of the session when the step budget is spent. */
function nextModelCall(state: ActiveState): Decision {
  const { maxSteps } = state.budget;
  const { steps } = state.totals;
  if (steps >= maxSteps) return { events: overBudget(state, 'maxSteps', maxSteps, steps), effects: [] };
  const late = state.deciderVersion >= 4 ? wallClockSpent(state) : undefined;
  if (late) return { events: overBudget(state, late.limit, late.allowed, late.used), effects: [] };
  if (needsMemory(state)) return { events: [], effects: [loadMemory(state)] };
  if (needsCompaction(state)) return { events: [], effects: [compactContext(state)] };
  return modelCall(state, `m${steps + 1}`, 1);
}

/** The compaction the next model call waits for: from the last cut (or the start) to the next. */
function compactContext(state: ActiveState): SessionEffect {
  const from = state.compaction?.upTo ?? 0;
  const upTo = nextCut(state) ?? from;
  const model = state.agent.context?.model ?? state.agent.model;
  const previous = state.compaction ? { previous: state.compaction.summary } : {};
  return { type: 'CompactContext', callId: compactionCallId(state), model, from, upTo, ...previous, tokensBefore: requestTokens(state) };
}

function afterReply(state: ActiveState, stopReason: string): Decision {
  const { maxCostUsd } = state.budget;
  if (maxCostUsd !== undefined && state.totals.costUsd > maxCostUsd) {
    return { events: overBudget(state, 'maxCostUsd', maxCostUsd, state.totals.costUsd), effects: [] };
  }
  const content = lastMessage(state.conversation)?.content ?? [];
  if (!content.some((block) => block.type === 'tool_use')) return finalAnswer(state, stopReason, textOf(content));
  const jobs = requestedJobs(state);
  const offered = offeredTools(state);
  const dispatched = jobs.filter((job) => offered.has(job.tool));
  // Calls that would take the session past a tool or time limit pause it before any is requested; a resume that raises the limit requests them.
  const spent = state.deciderVersion >= 4 ? (wallClockSpent(state) ?? toolBudgetSpent(state, dispatched)) : undefined;
  if (spent) return { events: overBudget(state, spent.limit, spent.allowed, spent.used), effects: [] };
  // A gated session asks the broker first; the verdicts come back as the command that records the calls.
  if (isGated(state) && dispatched.length > 0) {
    const gate = supervisorGate(state);
    return { events: [], effects: [{ type: 'CheckPermissions', checks: dispatched.map((job) => permissionCheck(state, job)), ...(gate ? { gate } : {}) }] };
  }
  const requested = jobs.map(requestedEvent);
  const effects = dispatched.map((job): SessionEffect => ({ type: 'DispatchTool', job }));
  if (dispatched.length === jobs.length) return { events: requested, effects };
  // A tool the session was not given has no executor to run it: the model hears so at once, as from any failed call.
  const refused = jobs.filter((job) => !offered.has(job.tool)).map((job) => unknownToolFailure(job.callId, job.tool, [...offered]));
  const rest = recordThenContinue(state, ...requested, ...refused);
  return { events: rest.events, effects: [...effects, ...rest.effects] };
}

/** The jobs for the tool calls of the model's last reply, in its order. */
export function requestedJobs(state: ActiveState): ToolJob[] {
  const content = lastMessage(state.conversation)?.content ?? [];
  return content.flatMap((block): ToolJob[] =>
    block.type === 'tool_use'
      ? [{ sessionId: state.sessionId, correlationId: state.correlationId, callId: block.id, tool: block.name, input: block.input, idempotencyKey: `${state.sessionId}/${block.id}`, firstDispatch: true }]
      : [],
  );
}

export function requestedEvent(job: ToolJob): NewEvent {
  return { type: 'tool.requested', data: { callId: job.callId, tool: job.tool, input: job.input, idempotencyKey: job.idempotencyKey } };
}

export function offeredTools(state: ActiveState): Set<string> {
  return new Set(state.tools.map((tool) => tool.name));
}

export function unknownToolFailure(callId: string, tool: string, offered: readonly string[]): NewEvent {
  const known = [...offered].sort().join(', ') || '(none)';
  return { type: 'tool.failed', data: { callId, tool, error: `unknown tool "${tool}"; the tools available are: ${known}`, durationMs: 0 } };
}

/**
 * A reply without tool calls: an answer a session with an outcome submits for grading (decider version
 * 8 on), or the end of the session.
 */
function finalAnswer(state: ActiveState, stopReason: string, output: string): Decision {
  const answered = stopReason !== 'max_tokens' && stopReason !== 'refusal';
  // A conversation waits for the next message after each answer; a reply cut off or refused ends its turn too, and the user hears why.
  if (keepsOpen(state)) return recordThenContinue(state, { type: 'turn.completed', data: { turn: state.turns + 1, output, stopReason } });
  if (answered && state.outputSchema) {
    const check = checkAnswer(state.outputSchema, output);
    const answers = state.outputRejections + 1;
    if (check.kind === 'invalid' && answers < outputAttempts) return recordThenContinue(state, outputRejected(answers, check.errors));
    if (check.kind !== 'valid') return { events: [completed(state, 'failed', { output, reason: unsatisfiedReason(check, answers) })], effects: [] };
    if (!takesGrades(state)) return { events: [completed(state, 'succeeded', { output, structuredOutput: check.value })], effects: [] };
  }
  if (!answered || !takesGrades(state)) return { events: [endOfTurn(state, stopReason, output)], effects: [] };
  const submission = submitted(state, output);
  const after = evolve(state, { ...submission, ...placeholderMeta(state.sessionId, state.correlationId, state.n + 1) });
  return { events: [submission], effects: after.status === 'awaiting_grade' ? [{ type: 'DispatchGrade', job: gradeJob(after), round: 0 }] : [] };
}

/** The end a grade decided: a pass succeeds with the graded answer, the last attempt's fail fails with what it still lacked. */
function gradedEnd(state: ActiveState, graded: Extract<DecidingState['after'], { kind: 'graded' }>): NewEvent {
  const { attempt, output, passed, score, changes } = graded;
  const grade = { attempt, score, passed };
  if (passed) return completed(state, 'succeeded', { output, grade, ...structuredOf(state, output) });
  const lacking = changes.length > 0 ? `: ${changes.join('; ')}` : '';
  return completed(state, 'failed', { output, grade, reason: `the answer did not pass its grade in ${attempt} attempt${attempt === 1 ? '' : 's'} (last score ${score})${lacking}` });
}

/** A reply without tool calls ends the session; how depends on why the model stopped. */
function endOfTurn(state: ActiveState, stopReason: string, output: string): NewEvent {
  switch (stopReason) {
    case 'max_tokens':
      return completed(state, 'failed', { output, reason: `the reply was cut off at maxTokens (${state.agent.maxTokens}); raise the agent's maxTokens` });
    case 'refusal':
      return completed(state, 'failed', { output, reason: 'the model refused the task' });
    default:
      return completed(state, 'succeeded', { output });
  }
}

function afterFailure(state: ActiveState, failure: Extract<DecidingState['after'], { kind: 'failure' }>): Decision {
  if (failure.retryable && failure.attempt < maxModelAttempts) return modelCall(state, failure.callId, failure.attempt + 1);
  return { events: [completed(state, 'failed', { reason: `model call failed (${failure.code}): ${failure.message}` })], effects: [] };
}

function modelCall(state: ActiveState, callId: string, attempt: number): Decision {
  const plan = planModelCall(state);
  const requested: NewEvent = { type: 'model.requested', data: { callId, model: state.agent.model, digest: plan.digest, digestScheme: 'message-chain', attempt } };
  const gate = modelCallGate(state, state.n + 1);
  return { events: [requested], effects: [{ type: 'CallModel', callId, attempt, model: state.agent.model, ...plan, ...(gate ? { gate } : {}) }] };
}

/** Work the log says is outstanding: an unanswered model call, tool calls without results, or an attempt without its grade. */
export function outstandingWork(state: ActiveState): Decision {
  if (state.paused) return nothing;
  if (state.status === 'awaiting_model') {
    const gate = modelCallGate(state, state.n);
    const call: SessionEffect = { type: 'CallModel', callId: state.callId, attempt: state.attempt, model: state.agent.model, ...planModelCall(state), ...(gate ? { gate } : {}) };
    return { events: [], effects: [call] };
  }
  if (state.status === 'awaiting_tools') {
    // A call held for a person waits for an answer, its timer armed (again); the rest are dispatched or checked.
    const held = state.pending.filter(isHeld);
    const waiting = held.map((call) => awaitApproval(state, call.approval.approvalId, call.approval.deadline));
    const runnable = state.pending.filter((call) => !isHeld(call));
    // A gated call is dispatched again with the grant recorded for it; one with no verdict yet (a fork of an older session's log, or one just approved) is checked first.
    const unchecked = isGated(state) ? runnable.filter((call) => call.permission === undefined) : [];
    const checks: SessionEffect[] = unchecked.length === 0 ? [] : [{ type: 'CheckPermissions', checks: unchecked.map((call) => permissionCheck(state, call)) }];
    const dispatched = runnable.filter((call) => !unchecked.includes(call)).flatMap((call) => dispatchAgain(state, call));
    return { events: [], effects: [...dispatched, ...waiting, ...checks] };
  }
  // The same job again: the stream drops it within its duplicate window, and the grade is recorded once.
  if (state.status === 'awaiting_grade') return { events: [], effects: [{ type: 'DispatchGrade', job: gradeJob(state), round: state.problems }] };
  if (state.status === 'idle') return { events: [], effects: [awaitMessage(state)] };
  return nothing;
}

/** A waiting call's job again, or a built-in wait's timer armed again (replacing itself). */
function dispatchAgain(state: ActiveState, call: PendingTool): SessionEffect[] {
  const child = spawnAgain(state, call);
  if (child) return child;
  const builtIn = runBuiltIn(state, { ...call, requestedAt: call.requestedAt ?? state.clock.latestAt });
  if (builtIn === undefined) return [{ type: 'DispatchTool', job: toolJob(state, call, call.permission?.grant, false) }];
  return 'answered' in builtIn ? [] : builtIn.effects;
}

/**
 * A spent budget fails a session created under decider version 1; from version 2 it pauses it, and a
 * resume that raises the limit lets it go on.
 */
function overBudget(state: ActiveState, limit: string, allowed: number, used: number): NewEvent[] {
  const exceeded: NewEvent = { type: 'budget.exceeded', data: { limit, allowed, used } };
  if (state.deciderVersion < 2) return [exceeded, completed(state, 'failed', { reason: `budget exceeded: ${limit} ${used} > ${allowed}` })];
  const paused = `budget spent: ${limit} ${used} of ${allowed}; resume with a higher ${limit} to go on`;
  return [exceeded, { type: 'session.paused', data: { reason: paused, by: 'budget', fromBudget: true } }];
}

/** The JSON value of a graded answer that satisfies the session's output schema (it was checked before it was submitted); nothing without a schema. */
function structuredOf(state: ActiveState, output: string): Pick<EventData<'session.completed'>, 'structuredOutput'> {
  const check = state.outputSchema ? checkAnswer(state.outputSchema, output) : undefined;
  return check?.kind === 'valid' ? { structuredOutput: check.value } : {};
}

export function completed(state: ActiveState, status: 'succeeded' | 'failed' | 'aborted', detail: Pick<EventData<'session.completed'>, 'output' | 'reason' | 'rewoundTo' | 'grade' | 'closedBy' | 'structuredOutput'>): NewEvent {
  return { type: 'session.completed', data: { status, ...detail, totals: state.totals } };
}

function textOf(content: readonly { type: string; text?: string }[]): string {
  return content.flatMap((block) => (block.type === 'text' && block.text !== undefined ? [block.text] : [])).join('\n');
}

/** The state `events` lead to, folded as the decider proposes them (before they are recorded). */
export function afterProposed(state: ActiveState, events: readonly NewEvent[]): SessionState {
  let after: SessionState = state;
  for (const event of events) after = evolve(after, { ...event, ...placeholderMeta(state.sessionId, state.correlationId, after.n + 1) });
  return after;
}

/** Records `events`, then decides what follows from the state they lead to: one decision, several events. */
export function recordThenContinue(state: ActiveState, ...events: NewEvent[]): Decision {
  const after = afterProposed(state, events);
  const rest = after.status === 'deciding' ? nextStep(after) : after.status === 'idle' ? { events: [], effects: [awaitMessage(after)] } : nothing;
  return { events: [...events, ...rest.events], effects: rest.effects };
}

/** Envelope fields for folding an event the decider has only proposed; evolve reads none but ids and `n`. */
export function placeholderMeta(sessionId: string, correlationId: string, n: number): EventMeta {
  return { id: '', v: 1, sessionId, n, at: 0, causationId: null, correlationId, by: { service: 'decider', instance: '' } };
}
