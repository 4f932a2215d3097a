import {
  assertNever,
  type AgentDefinition,
  type Budget,
  type EventData,
  type EventOf,
  type DelegatingSession,
  type ForkOrigin,
  type OutputSchema,
  type Policy,
  type SessionEvent,
  type StopReason,
  type ToolDefinition,
  type ToolGrant,
  type ToolOutcomeEvent,
  type ToolResultBlock,
  type Totals,
  type Usage,
} from '@signalbox/events';
import { approvalIdOf } from './approval-id.ts';
import { conversationOf, withMessage, type Conversation } from './conversation.ts';
import { isDecidedUnder } from './decided-events.ts';
import { countJudgement } from './judged-totals.ts';
import { countGrade, gradedNext, sessionOutcomeOf, type SessionOutcome } from './outcomes.ts';
import { hintAtStart, withForkHint } from './rewind-hint.ts';
import { memoryUseOf, type LoadedMemory, type MemoryUse } from './memory.ts';
import { outputSchemaOf, rejectedOutputMessage } from './structured-output.ts';
import { withChildSpend, type ChildRun, type ParentCall } from './delegation.ts';
import { recordInterrupt, recordMessage, recordSignal, recordTurn, takeSignalFor } from './turns.ts';
import type { Compaction } from './compaction.ts';

export interface PendingTool {
  callId: string;
  tool: string;
  input: unknown;
  idempotencyKey: string;
  /** Set once the broker allowed the call (decider version 3 on), with its grant when it signed one. */
  permission?: { grant?: ToolGrant };
  /** Set while a policy holds the call for a person (decider version 5 on); `approvedBy` once one approved it. */
  approval?: WaitingApproval & { approvedBy?: string };
  /** When it was requested, by the log's clock (the event before its request): a built-in wait counts from it. */
  requestedAt?: number;
  /** Its `tool.requested` event: a `memory.write` cites it as its evidence. */
  requestedN?: number;
}

/** A call held for approval, as its `approval.requested` says. */
export type WaitingApproval = Pick<EventData<'approval.requested'>, 'approvalId' | 'input' | 'reason' | 'deadline'>;

/** A tool a person approved for the rest of the session: by which approval, and whom. */
export interface SessionApproval {
  approvalId: string;
  by: string;
}

interface Setup {
  sessionId: string;
  correlationId: string;
  agent: AgentDefinition;
  tools: ToolDefinition[];
  budget: Budget;
  /** Where a fork's first events came from; null for a session that is not a fork. */
  forkedFrom: ForkOrigin | null;
  /** The decider version the session was created under: its decisions follow that version's rules. */
  deciderVersion: number;
  /** The task's own policy, narrowing the agent's; null when the task set none. */
  taskPolicy: Policy | null;
  /** The session's tools not safe to run twice, as their executors advertised them at its start. */
  nonIdempotentTools: string[];
  /** What its final answers are graded against (decider version 8 on, a task or agent with an outcome); null: none, an answer ends it. */
  gradedBy: SessionOutcome | null;
  /** The memory store it loads and writes (decider version 10 on, an agent with `memory`); null: none. */
  memoryUse: MemoryUse | null;
  /** The session that spawned it and for which call; null for a run's root. */
  parent: ParentCall | null;
  /** The sessions that delegated to it, nearest first (decider version 11 on); null for a run's root. */
  delegatedBy: DelegatingSession[] | null;
  /** The JSON Schema its final answer must satisfy (decider version 12 on, a task or agent with `output`); null: any text. */
  outputSchema: OutputSchema | null;
}

/** Why and by whom a session was paused, from its `session.paused`. */
export type Pause = EventData<'session.paused'>;

interface Progress {
  /** Number of the last event folded in. */
  n: number;
  /** Set while the session is paused: it records results but takes no next step. `status` still says what it waits for. */
  paused: Pause | null;
  /** The conversation so far, from which the next model request is rebuilt. */
  conversation: Conversation;
  totals: Totals;
  /** Tool calls requested so far, in all, by tool and of tools not safe to run twice: the budget's tool limits count these. */
  requested: RequestedCalls;
  /** When the session started and the latest event so far, by the log's clock (ms): its wall-clock budget counts between them. */
  clock: { startedAt: number; latestAt: number };
  /** Tools a person approved for the rest of the session, by name: a policy's `ask` on their later calls is answered with it. */
  sessionApprovals: Record<string, SessionApproval>;
  /** The supervisor's interventions recorded so far, by identity (`interventionKey`): one already here is not recorded again. */
  interventions: string[];
  /** Nudges recorded since the last user message: added to the next one (after the tool results), which the model reads next. */
  notes: string[];
  /** The events the supervisor's judge judged up to, one a judgement (decider version 7 on): one already here is not recorded again. */
  judgements: number[];
  /** The run's latest workspace revision its log names (from tool results), which submitted files are read at. */
  workspaceRevision: number | null;
  /** Answers submitted for grading so far: the next is attempt `submitted + 1`. */
  submitted: number;
  /** A conversation's turns ended so far (decider version 9 on). */
  turns: number;
  /** Messages received while a turn ran, in order: the next turn's input once this one ends. */
  queued: string[];
  /** The latest messages' and interrupts' ids (at most `rememberedIds` of each): one delivered again is not recorded again. */
  received: string[];
  interrupts: string[];
  /** Signals no call waited for when they came, oldest first (at most `keptSignals`): the next `wait.signal` for the name takes one. */
  signals: { name: string; payload?: string }[];
  /** The latest compaction of the context: requests carry its summary in place of the messages before `upTo`. */
  compaction: Compaction | null;
  /** Set by a supervisor's `compact`: the next model call waits for a compaction whatever the request's size. */
  compactRequested: boolean;
  /** The cut a compaction failed at: it is not tried again until there is a later one. */
  compactionTriedUpTo: number;
  /** The memory its `memory.loaded` put in the context; null until then. */
  memory: LoadedMemory | null;
  /** Child sessions running for its `agents.delegate` calls (decider version 11 on). */
  children: ChildRun[];
  /** The call that handed the conversation off, once one did: the session ends as its child does. */
  handoff: string | null;
  /** Answers sent back for not satisfying the output schema so far (decider version 12 on). */
  outputRejections: number;
}

export interface RequestedCalls {
  all: number;
  byTool: Record<string, number>;
  nonIdempotent: number;
}

/** A session's state is a fold of its events; `status` says what the session waits for. */
export type SessionState =
  | { status: 'new'; n: 0 }
  | (Setup & Progress & { status: 'awaiting_model'; callId: string; attempt: number })
  | (Setup & Progress & { status: 'awaiting_tools'; pending: PendingTool[]; results: ToolResultBlock[] })
  /** Between events of one decision; `after` says what was recorded last, so a cut-off decision can be resumed. */
  | (Setup & Progress & { status: 'deciding'; after: DecidingAfter })
  /** An answer submitted for grading (decider version 8 on), waiting for its grade; `problems`: grades of it that came with a problem. */
  | (Setup & Progress & { status: 'awaiting_grade'; attempt: number; output: string; files: EventData<'outcome.submitted'>['files']; problems: number })
  /**
   * A conversation between turns, or a session interrupted (decider version 9 on): it waits for a message.
   * `output` is the turn's answer (empty after an interrupt); `idleSince` the event that left it idle, which its idle timer names.
   */
  | (Setup & Progress & { status: 'idle'; output: string; idleSince: number })
  | (Setup & Progress & { status: 'completed'; outcome: EventOf<'session.completed'>['data'] });

/** What a deciding session last recorded: its next step follows from it. */
export type DecidingAfter =
  /** A user message (the task, or all tool results): the model is asked next. */
  | { kind: 'input' }
  /** A model reply: its tool calls are requested next, or the session ends. */
  | { kind: 'reply'; stopReason: StopReason }
  /** A failed model call: it is tried again, or the session fails. */
  | { kind: 'failure'; callId: string; attempt: number; code: string; message: string; retryable: boolean }
  /** A grade that ends the session (a pass, or the last attempt's fail): it completes next. */
  | { kind: 'graded'; attempt: number; output: string; passed: boolean; score: number; changes: string[] };

export type ActiveState = Exclude<SessionState, { status: 'new' }>;
export type DecidingState = Extract<SessionState, { status: 'deciding' }>;

export const initialState = (): SessionState => ({ status: 'new', n: 0 });

/**
 * Version of SessionState's shape and of `evolve`, recorded in snapshots. Bump it when either
 * changes: a snapshot folded by other code is then replayed over, never trusted. 4: `deciderVersion`.
 * 5: `paused`, and the budget a resume sets. 6: `taskPolicy`, and a waiting call's `permission`.
 * 7: `nonIdempotentTools`, `requested` and `clock`, for the budget's tool and time limits.
 * 8: a waiting call's `approval`, and `sessionApprovals`.
 * 9: `interventions` and `notes`, for the supervisor's interventions.
 * 10: `judgements`, and a judge's cost in `totals`; `interventions` also holds the findings the supervisor's gate acted on.
 * 11: `gradedBy`, `workspaceRevision`, `submitted`, the `awaiting_grade` status and a deciding session's `graded`, for outcomes.
 * 12: the `idle` status, `turns`, `queued`, `received`, `interrupts` and `signals`, and a call's `requestedAt`, for conversations, interrupts and waits;
 *     `compaction`, `compactRequested`, `compactionTriedUpTo` and the conversation's `charsBefore`, `assistantAt` and `chars`, for compaction.
 * 13: `memoryUse`, `memory` and a call's `requestedN`, for memory.
 * 14: `parent`, `delegatedBy`, `children` and `handoff`, for delegation and handoffs.
 * 15: `outputSchema` and `outputRejections`, for structured output.
 * 16: the conversation's `messages`, `charsBefore` and `assistantAt` as append-only lists of chunks, not arrays copied at every message.
 * 17: the conversation's `charsBeforeReplies` (at each reply only: a cut is always at one) for `charsBefore` (at every
 *     message), and a snapshot holds it and `assistantAt` packed (`storedSnapshotState`), not as lists of numbers.
 */
export const sessionStateVersion = 17;

/**
 * The fields of a session's state that keep one object from `session.created` on (the agent is
 * replaced only by a model switch): a snapshot encodes each object once, not once a snapshot.
 */
export const unchangingStateFields = ['agent', 'tools'] as const;

const zeroTotals: Totals = { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

export function evolve(state: SessionState, event: SessionEvent): SessionState {
  if (state.status === 'new') {
    if (event.type !== 'session.created') return { ...state, n: event.n } as SessionState;
    const { agent, tools, budget, input, forkedFrom, deciderVersion, taskPolicy, nonIdempotentTools, parent, delegatedBy } = event.data;
    const memoryUse = memoryUseOf(event.data);
    const gradedBy = sessionOutcomeOf(event.data);
    return {
      status: 'deciding',
      after: { kind: 'input' },
      sessionId: event.sessionId,
      correlationId: event.correlationId,
      agent,
      tools,
      budget,
      forkedFrom: forkedFrom ?? null,
      deciderVersion,
      taskPolicy: taskPolicy ?? null,
      nonIdempotentTools: nonIdempotentTools ?? [],
      gradedBy,
      memoryUse,
      parent: parent ?? null,
      delegatedBy: delegatedBy ?? null,
      outputSchema: outputSchemaOf(event.data),
      n: event.n,
      paused: null,
      conversation: conversationOf({ role: 'user', content: [{ type: 'text', text: input }, ...hintAtStart({ forkedFrom: forkedFrom ?? null, deciderVersion })] }),
      totals: zeroTotals,
      requested: { all: 0, byTool: {}, nonIdempotent: 0 },
      clock: { startedAt: event.at, latestAt: event.at },
      sessionApprovals: {},
      interventions: [],
      notes: [],
      judgements: [],
      workspaceRevision: null,
      submitted: 0,
      turns: 0,
      queued: [],
      received: [],
      interrupts: [],
      signals: [],
      compaction: null,
      compactRequested: false,
      compactionTriedUpTo: 0,
      memory: null,
      children: [],
      handoff: null,
      outputRejections: 0,
    };
  }
  const evolved = evolveActive(withForkHint(state, event.n), event);
  // An event the decider has only proposed carries no time (0): the clock stays at the last recorded one.
  const latestAt = Math.max(evolved.clock.latestAt, event.at);
  return { ...evolved, n: event.n, ...(latestAt === evolved.clock.latestAt ? {} : { clock: { ...evolved.clock, latestAt } }) };
}

function evolveActive(state: ActiveState, event: SessionEvent): ActiveState {
  // Events this decider does not record (yet) still advance `n`.
  if (!isDecidedUnder(state.deciderVersion, event)) return state;
  switch (event.type) {
    case 'model.requested': {
      const totals = { ...state.totals, steps: state.totals.steps + (startsStep(event) ? 1 : 0) };
      return { ...base(state), totals, status: 'awaiting_model', callId: event.data.callId, attempt: event.data.attempt };
    }
    case 'model.responded': {
      const { usage, costUsd, content } = event.data;
      const totals = spend(state.totals, usage, costUsd);
      const after = { kind: 'reply' as const, stopReason: event.data.stopReason };
      return { ...base(state), totals, status: 'deciding', after, conversation: withMessage(state.conversation, { role: 'assistant', content }) };
    }
    case 'model.failed': {
      const { callId, attempt, code, message, retryable, usage, costUsd } = event.data;
      // A model that answered with what could not be recorded was still paid for.
      const totals = usage === undefined ? state.totals : spend(state.totals, usage, costUsd ?? 0);
      return { ...base(state), totals, status: 'deciding', after: { kind: 'failure', callId, attempt, code, message, retryable } };
    }
    case 'tool.requested': {
      const pending = state.status === 'awaiting_tools' ? state.pending : [];
      const results = state.status === 'awaiting_tools' ? state.results : [];
      const { callId, tool, input, idempotencyKey } = event.data;
      const requested = countRequested(state.requested, tool, state.nonIdempotentTools.includes(tool));
      const call = { callId, tool, input, idempotencyKey, requestedAt: state.clock.latestAt, requestedN: event.n };
      return { ...base(state), requested, status: 'awaiting_tools', pending: [...pending, call], results };
    }
    case 'tool.completed':
    case 'tool.failed':
      return recordToolResult(withRevision(event.type === 'tool.completed' ? takeSignalFor(state, event.data.callId) : state, event.data.workspaceRevision), event);
    case 'tool.outcome_unknown':
      return recordToolResult(state, event);
    case 'outcome.submitted':
      if (!state.gradedBy) return state;
      return { ...base(state), status: 'awaiting_grade', ...event.data, submitted: event.data.attempt, problems: 0 };
    case 'outcome.graded':
      return recordGrade(state, event.data);
    case 'output.rejected':
      return withUserMessage({ ...base(state), status: 'deciding', after: { kind: 'input' }, outputRejections: state.outputRejections + 1 }, rejectedOutputMessage(event.data));
    case 'session.completed':
      return { ...base(state), status: 'completed', outcome: event.data, paused: null };
    case 'message.received':
      return recordMessage(state, event.data);
    case 'turn.completed':
      return recordTurn(state, event.data, event.n);
    case 'session.interrupted':
      return recordInterrupt(state, event.data, event.n);
    case 'signal.received':
      return recordSignal(state, event.data);
    case 'context.compacted': {
      const { summary, upTo, usage, costUsd } = event.data;
      const totals = usage === undefined ? state.totals : spend(state.totals, usage, costUsd);
      const compaction = summary === undefined ? state.compaction : { upTo, summary };
      return { ...state, totals, compaction, compactRequested: false, compactionTriedUpTo: summary === undefined ? upTo : state.compactionTriedUpTo };
    }
    case 'subagent.spawned': {
      const { callId, sessionId, agent, budget, handoff } = event.data;
      const child = { callId, sessionId, agent, budget: budget ?? { maxSteps: 1 }, ...(handoff ? { handoff } : {}) };
      return { ...state, children: [...state.children, child], handoff: handoff ? callId : state.handoff };
    }
    case 'subagent.completed':
      return { ...state, children: state.children.filter((child) => child.sessionId !== event.data.sessionId), totals: withChildSpend(state.totals, event.data.totals) };
    case 'memory.loaded': {
      const { entries, store, version } = event.data;
      return { ...state, memory: { entries, store, version } };
    }
    case 'session.paused':
      return { ...state, paused: event.data };
    case 'session.resumed':
      return { ...state, paused: null, budget: withLimits(state.budget, event.data.budget) };
    case 'permission.granted':
      return recordGrant(state, event.data.callId, event.data.grant);
    case 'approval.requested':
      return holdForApproval(state, event.data);
    case 'approval.resolved':
      return recordApproval(state, event.data);
    case 'supervisor.intervened':
      return recordIntervention(state, event.data);
    case 'supervisor.gated':
      return recordGateFinding(state, event.data);
    case 'supervisor.judged':
      return countJudgement(state, event.data);
    case 'permission.denied': // the refusal recorded with it answers the call
    case 'session.created': // a second one changes nothing
    case 'budget.exceeded': // the session.completed recorded with it ends the session
      return state;
    default:
      return assertNever(event);
  }
}

/** The run's latest workspace revision, once a tool result names a later one. */
function withRevision(state: ActiveState, revision: number | undefined): ActiveState {
  return revision === undefined || (state.workspaceRevision ?? 0) >= revision ? state : { ...state, workspaceRevision: revision };
}

/**
 * A grade counts its tokens and cost. One with a problem leaves the session waiting for a grade; a fail
 * with attempts left becomes the user message the model reads next (with any nudges waiting); a pass
 * or the last fail ends the session next.
 */
function recordGrade(state: ActiveState, graded: EventData<'outcome.graded'>): ActiveState {
  if (state.status !== 'awaiting_grade' || !state.gradedBy) return state;
  const counted = countGrade(state, graded);
  if (graded.problem !== undefined) return { ...counted, problems: state.problems + 1 };
  const next = gradedNext(state.gradedBy, graded, state.output);
  if (next.kind === 'graded') return { ...base(counted), status: 'deciding', after: next };
  return withUserMessage({ ...base(counted), status: 'deciding', after: { kind: 'input' } }, next.message);
}

/** `text` as the user message the model reads next, with any nudges waiting after it. */
function withUserMessage<S extends ActiveState>(state: S, text: string): S {
  const notes = state.notes.map((note) => ({ type: 'text' as const, text: note }));
  return { ...state, conversation: withMessage(state.conversation, { role: 'user', content: [{ type: 'text', text }, ...notes] }), notes: [] };
}

/** `budget` with the limits a resume set; a limit it left out stays as it was, a tool's limit tool by tool. */
function withLimits(budget: Budget, limits: EventData<'session.resumed'>['budget']): Budget {
  const { maxToolCallsPerTool, ...whole } = limits ?? {};
  const set = Object.fromEntries(Object.entries(whole).filter(([, limit]) => limit !== undefined));
  const perTool = maxToolCallsPerTool === undefined ? {} : { maxToolCallsPerTool: { ...budget.maxToolCallsPerTool, ...maxToolCallsPerTool } };
  return { ...budget, ...set, ...perTool };
}

export function countRequested(requested: RequestedCalls, tool: string, nonIdempotent: boolean): RequestedCalls {
  return {
    all: requested.all + 1,
    byTool: { ...requested.byTool, [tool]: (requested.byTool[tool] ?? 0) + 1 },
    nonIdempotent: requested.nonIdempotent + (nonIdempotent ? 1 : 0),
  };
}

/** Marks a waiting call allowed, with the grant a re-dispatch carries while it holds. */
function recordGrant(state: ActiveState, callId: string, grant: ToolGrant | undefined): ActiveState {
  if (state.status !== 'awaiting_tools') return state;
  const permission = grant === undefined ? {} : { grant };
  return { ...state, pending: state.pending.map((call) => (call.callId === callId ? { ...call, permission } : call)) };
}

/**
 * Marks a waiting call held for a person: it is neither checked nor dispatched until approved. Its id
 * is this session's (a fork's prefix records the original's).
 */
function holdForApproval(state: ActiveState, requested: EventData<'approval.requested'>): ActiveState {
  if (state.status !== 'awaiting_tools') return state;
  const { input, reason, deadline } = requested;
  const approval = { approvalId: approvalIdOf(state.sessionId, requested.callId), input, reason, deadline };
  return { ...state, pending: state.pending.map((call) => (call.callId === requested.callId ? { ...call, approval } : call)) };
}

/**
 * An approved call waits for the grant the broker gives it now; a denied one is answered by the
 * refusal recorded with the denial. Approved for the session, the tool's later asks are answered too.
 */
function recordApproval(state: ActiveState, resolved: EventData<'approval.resolved'>): ActiveState {
  if (!resolved.approved) return state;
  const { approvalId, by, tool, scope } = resolved;
  const sessionApprovals = scope === 'session' ? { ...state.sessionApprovals, [tool]: { approvalId, by } } : state.sessionApprovals;
  if (state.status !== 'awaiting_tools') return { ...state, sessionApprovals };
  // By the call, not the id: a fork's prefix records the original's ids.
  const pending = state.pending.map((call) => (call.callId === resolved.callId && call.approval ? { ...call, approval: { ...call.approval, approvedBy: by } } : call));
  return { ...state, pending, sessionApprovals };
}

/**
 * Remembers the intervention, so a second delivery of it records nothing; a nudge waits for the next
 * user message, and a switched model is the one the session calls from then on. A pause or an abort
 * is done by the `session.paused` or `session.completed` recorded with it.
 */
function recordIntervention(state: ActiveState, intervened: EventData<'supervisor.intervened'>): ActiveState {
  const { detector, action, reason, evidence, model } = intervened;
  const interventions = [...state.interventions, interventionKey(detector, evidence[0] ?? 0)];
  const notes = action === 'nudge' ? [...state.notes, reason] : state.notes;
  const agent = action === 'switch_model' && model !== undefined ? { ...state.agent, model } : state.agent;
  return { ...state, interventions, notes, agent, compactRequested: state.compactRequested || action === 'compact' };
}

/**
 * A call the gate blocked or paused on a detector's finding is that finding's intervention: the same
 * finding sent afterwards by the supervisor's asynchronous path (it sees the call requested) records nothing.
 */
function recordGateFinding(state: ActiveState, gated: EventData<'supervisor.gated'>): ActiveState {
  const { verdict, detector, evidence } = gated;
  if (verdict === 'proceed' || detector === undefined || evidence === undefined) return state;
  return { ...state, interventions: [...state.interventions, interventionKey(detector, evidence[0] ?? 0)] };
}

/** An intervention's identity: its detector and the first event of its evidence, where the pattern began. */
export function interventionKey(detector: string, firstEvidence: number): string {
  return `${detector}/${firstEvidence}`;
}

/** A step is a model turn: its first attempt starts it, a retried attempt belongs to it. */
export function startsStep(event: SessionEvent): boolean {
  return event.type === 'model.requested' && event.data.attempt === 1;
}

/** Collects a tool's result; once the last pending call is in, the results become the next user message. */
function recordToolResult(state: ActiveState, event: ToolOutcomeEvent): ActiveState {
  if (state.status !== 'awaiting_tools') return state;
  const result = toolResultBlock(event);
  const pending = state.pending.filter((call) => call.callId !== event.data.callId);
  const results = [...state.results, result];
  const totals = { ...state.totals, toolCalls: state.totals.toolCalls + 1 };
  if (pending.length > 0) return { ...state, totals, pending, results };
  // The supervisor's nudges follow the results, in the message the model reads next.
  const notes = state.notes.map((text) => ({ type: 'text' as const, text }));
  const conversation = withMessage(state.conversation, { role: 'user', content: [...results, ...notes] });
  return { ...base(state), totals, status: 'deciding', after: { kind: 'input' }, conversation, notes: [] };
}

function toolResultBlock(event: ToolOutcomeEvent): ToolResultBlock {
  const toolUseId = event.data.callId;
  switch (event.type) {
    case 'tool.completed':
      return { type: 'tool_result', toolUseId, content: event.data.output, isError: false };
    case 'tool.failed':
      return { type: 'tool_result', toolUseId, content: event.data.error, isError: true };
    case 'tool.outcome_unknown':
      return { type: 'tool_result', toolUseId, content: `outcome unknown: ${event.data.reason}`, isError: true };
  }
}

/** Totals after a model answer's usage and cost. */
function spend(totals: Totals, usage: Usage, costUsd: number): Totals {
  return { ...totals, inputTokens: totals.inputTokens + usage.inputTokens, outputTokens: totals.outputTokens + usage.outputTokens, costUsd: totals.costUsd + costUsd };
}

/** The fields every active status shares, without the status-specific ones. */
export function base(state: ActiveState): Setup & Progress {
  const { sessionId, correlationId, agent, tools, budget, forkedFrom, deciderVersion, taskPolicy, nonIdempotentTools, gradedBy, memoryUse, parent, delegatedBy, n, paused, conversation, totals, requested, clock, sessionApprovals, interventions, notes, judgements, workspaceRevision, submitted, turns, queued, received, interrupts, signals, compaction, compactRequested, compactionTriedUpTo, memory, children, handoff, outputSchema, outputRejections } = state;
  return { sessionId, correlationId, agent, tools, budget, forkedFrom, deciderVersion, taskPolicy, nonIdempotentTools, gradedBy, memoryUse, parent, delegatedBy, n, paused, conversation, totals, requested, clock, sessionApprovals, interventions, notes, judgements, workspaceRevision, submitted, turns, queued, received, interrupts, signals, compaction, compactRequested, compactionTriedUpTo, memory, children, handoff, outputSchema, outputRejections };
}

export function fold(events: Iterable<SessionEvent>, state: SessionState = initialState()): SessionState {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}

/**
 * A run's steps, tool calls, tokens and cost as the session counts them, from its events so far: for a
 * run not completed, or read only part way (a completed one records its totals in `session.completed`).
 */
export function totalsOf(events: Iterable<SessionEvent>): Totals {
  const state = fold(events);
  return state.status === 'new' ? { ...zeroTotals } : state.totals;
}
