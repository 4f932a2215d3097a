import { z } from 'zod';
import { DelegationChain } from './delegation.ts';
import { AgentDefinition, Budget } from './agent.ts';
import { StopReason, TextBlock, ToolDefinition, ToolUseBlock, Usage } from './conversation.ts';
import { ApprovalId, ApprovalScope, ModelName, SessionId, ToolName } from './ids.ts';
import { JsonData } from './json-data.ts';
import { JudgedData } from './judge.ts';
import { GradedData, OutcomeSettings, SubmittedData } from './outcome.ts';
import { PermissionVerdict } from './permission.ts';
import { OutputSchema } from './output-schema.ts';
import { Policy } from './policy-document.ts';

/**
 * A tool output too long to carry in a result or an event, stored whole in the `<prefix>-tool-outputs`
 * object store under its sha256; the result carries its beginning.
 */
export const WholeOutput = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), chars: z.number().int().nonnegative() });
export type WholeOutput = z.infer<typeof WholeOutput>;

/**
 * The data of every event type, keyed by type. Names are past tense. Extend, never repurpose:
 * a changed shape is a new version with upcasters from the older ones (upcasters.ts), which the
 * codec applies. Only a shape nothing has ever written may still be edited in place.
 */

const CallId = z.string().min(1);

export const Totals = z.object({
  steps: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** What grading the session's outcome cost (decider version 8 on), shown apart: the tokens and cost above include it. */
  grading: z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative() }).optional(),
});
export type Totals = z.infer<typeof Totals>;

/** Names a supervisor's detector (built in, or a user's `defineDetector`). */
export const DetectorName = z.string().min(1).max(100).regex(/^[a-z][a-z0-9_.-]*$/, 'a detector name is lower-case letters, digits, "_", "-" and ".", starting with a letter');

/**
 * What a supervisor may do to a session. From decider version 7: `rewind` forks it at an earlier event
 * with a hint, ending it; `redrive` re-does the work a stalled session waits on.
 */
export const InterventionAction = z.enum(['nudge', 'pause', 'abort', 'switch_model', 'compact', 'rewind', 'redrive']);
export type InterventionAction = z.infer<typeof InterventionAction>;

/** What the supervisor's gate says of one tool call: run it, answer it with the reason instead, or pause the session before it runs. */
export const GateVerdictKind = z.enum(['proceed', 'block', 'pause']);
export type GateVerdictKind = z.infer<typeof GateVerdictKind>;

/** The supervisor's gate's verdict on one call (supervisor-gate.ts), as its reply carries it and the log records it. */
export const GateVerdict = z.strictObject({
  callId: z.string().min(1).max(256),
  verdict: GateVerdictKind,
  /** Why a call is blocked or paused: what the model reads, or the person who resumes. */
  reason: z.string().max(2_000).optional(),
  /** The detector whose finding the call would complete. */
  detector: DetectorName.optional(),
  /** That finding's events, the first where its pattern began (as an intervention's). */
  evidence: z.array(z.number().int().positive()).min(1).max(100).optional(),
  /** No supervisor answered before the deadline: the verdict is the agent's fail-open or fail-closed choice. */
  unanswered: z.literal(true).optional(),
});
export type GateVerdict = z.infer<typeof GateVerdict>;

/** Who paused or resumed a session, as it names itself. */
export const Requester = z.string().min(1).max(200);
/** Why a session was paused, in a sentence or a paragraph. */
export const PauseReason = z.string().max(2000);

/** Limits a resume sets: the budget's, each optional, at least one; each bounded so a typo cannot mean "forever". */
export const BudgetLimits = z
  .strictObject({
    maxSteps: z.number().int().positive().max(1_000_000).optional(),
    maxCostUsd: z.number().positive().max(1_000_000).optional(),
    maxToolCalls: z.number().int().positive().max(1_000_000).optional(),
    /** Merged into the budget's, tool by tool. */
    maxToolCallsPerTool: z.record(ToolName, z.number().int().nonnegative().max(1_000_000)).refine((limits) => Object.keys(limits).length <= 64, 'at most 64 tools').optional(),
    maxNonIdempotentCalls: z.number().int().nonnegative().max(1_000_000).optional(),
    maxWallClockMs: z.number().int().min(1_000).max(366 * 24 * 3600 * 1000).optional(),
  })
  .refine((limits) => Object.values(limits).some((limit) => limit !== undefined), { message: 'name at least one limit (maxSteps, maxCostUsd, maxToolCalls, maxToolCallsPerTool, maxNonIdempotentCalls, maxWallClockMs)' });
export type BudgetLimits = z.infer<typeof BudgetLimits>;

/**
 * The run's workspace after a tool call's writes: the sequence, in the workspace stream, of its last
 * write. A fork sees the workspace as of the last revision its fork point's events name.
 */
export const WorkspaceRevision = z.number().int().positive();

export const ForkOrigin = z.object({
  sessionId: SessionId,
  n: z.number().int().positive(),
  hermetic: z.boolean().optional(),
  /** A note the fork's model reads with the user message its event `n` formed, as a nudge is read (a rewind's hint; decider version 7 on). */
  hint: z.string().min(1).max(2000).optional(),
});
export type ForkOrigin = z.infer<typeof ForkOrigin>;

/**
 * What a `model.requested` digest is the sha256 of: `whole-request`, the request's canonical JSON
 * (v1 events); `message-chain`, that JSON with the messages replaced by their sha256 chain (v2 on).
 */
export const DigestScheme = z.enum(['whole-request', 'message-chain']);
export type DigestScheme = z.infer<typeof DigestScheme>;

export const eventData = {
  'session.created': z.object({
    /** The whole agent definition as it was when the session started, so replay never depends on later edits. */
    agent: AgentDefinition,
    input: z.string(),
    /** Tool schemas resolved at creation, for the same reason. */
    tools: z.array(ToolDefinition),
    budget: Budget,
    rubric: JsonData.optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    parent: z.object({ sessionId: SessionId, callId: CallId }).optional(),
    /** Where a fork came from: its first `n` events are that session's. `hermetic` answers from that session's recordings while requests match. */
    forkedFrom: ForkOrigin.optional(),
    /** The decider version whose rules decide this session, for as long as it runs and when it is replayed (v2; v1 events were all 1). */
    deciderVersion: z.number().int().positive(),
    /** The task's own policy, narrowing the agent's for every call of the session. */
    taskPolicy: Policy.optional(),
    /** The session's tools whose executors say they are not safe to run twice, for `maxNonIdempotentCalls`. */
    nonIdempotentTools: z.array(ToolName).optional(),
    /** The task's outcome (decider version 8 on): its final answer is graded against the rubric (the task's, else the agent's), replacing the agent's outcome. */
    outcome: OutcomeSettings.optional(),
    /** The task's `memory: false`: the session uses no memory, and no consolidation reads it. */
    memory: z.boolean().optional(),
    /** A child session's: the sessions that delegated to it, nearest first, whose rights its own work within (decider version 11 on). */
    delegatedBy: DelegationChain.optional(),
    /** The task's `output` schema (decider version 12 on), replacing the agent's: the final answer must satisfy it. */
    output: OutputSchema.optional(),
  }),
  /**
   * The entries of the agent's memory store put in the session's context (decider version 10 on), with
   * the store version they came from (0 and `problem` when the store could not be read), so every
   * answer can be traced to the memories it saw. `key` is the entry's id.
   */
  'memory.loaded': z.object({
    entries: z.array(z.object({ key: z.string(), text: z.string() })),
    store: z.string().optional(),
    version: z.number().int().min(0).optional(),
    problem: z.string().optional(),
  }),
  'model.requested': z.object({
    callId: CallId,
    model: z.string(),
    /** Replay proves it rebuilt the same request by this, computed as `digestScheme` says. */
    digest: z.string(),
    /** v3; the upcasters fill it in for v1 (`whole-request`) and v2 (`message-chain`), which told the schemes apart by `v`. */
    digestScheme: DigestScheme,
    attempt: z.number().int().positive(),
  }),
  'model.responded': z.object({
    callId: CallId,
    model: z.string(),
    content: z.array(z.discriminatedUnion('type', [TextBlock, ToolUseBlock])),
    stopReason: StopReason,
    usage: Usage,
    costUsd: z.number().nonnegative(),
    latencyMs: z.number().nonnegative(),
  }),
  'model.failed': z.object({
    callId: CallId,
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    attempt: z.number().int().positive(),
    /** Set when the model did answer but the answer could not be recorded (nested too deep): what it cost all the same. */
    usage: Usage.optional(),
    costUsd: z.number().nonnegative().optional(),
  }),
  'tool.requested': z.object({
    callId: CallId,
    tool: ToolName,
    input: JsonData,
    idempotencyKey: z.string(),
  }),
  /** The permission broker's verdict on a call (decider v3 on), recorded in the append that requests the call, or when it is asked again before a re-dispatch. */
  'permission.granted': PermissionVerdict.extend({ callId: CallId, tool: ToolName, effect: z.literal('allow') }),
  /** A call refused by a policy (`deny`, or `ask` while approvals are not available) or because no broker answered in time. */
  'permission.denied': PermissionVerdict.omit({ grant: true }).extend({ callId: CallId, tool: ToolName, effect: z.enum(['deny', 'ask']) }),
  /**
   * A call a policy leaves to a person (`ask`, decider version 5 on), recorded with its `tool.requested`:
   * the verdict as the broker gave it, the approval's id, the input as a person reads it, and the time
   * (ms since the epoch, by the log's clock) after which no answer is a denial.
   */
  'approval.requested': PermissionVerdict.omit({ grant: true }).extend({
    effect: z.literal('ask'),
    approvalId: ApprovalId,
    callId: CallId,
    tool: ToolName,
    /** The input's JSON, secret references shown as `[secret:NAME]`, cut at `approvalInputChars`. */
    input: z.string(),
    deadline: z.number().int().nonnegative(),
  }),
  /**
   * A person's answer to an approval, or the timer's (`by: timeout`) when none came by the deadline.
   * `scope: session` approves every later call of the tool in this session that a policy would ask about.
   */
  'approval.resolved': z.object({
    approvalId: ApprovalId,
    callId: CallId,
    tool: ToolName,
    approved: z.boolean(),
    by: Requester,
    note: z.string().max(2000).optional(),
    scope: ApprovalScope.optional(),
  }),
  'tool.completed': z.object({
    callId: CallId,
    tool: ToolName,
    output: z.string(),
    durationMs: z.number().nonnegative(),
    /** Set when `output` is only the beginning of an output too long to carry. */
    wholeOutput: WholeOutput.optional(),
    /** Set when the call wrote to the workspace. */
    workspaceRevision: WorkspaceRevision.optional(),
  }),
  'tool.failed': z.object({
    callId: CallId,
    tool: ToolName,
    error: z.string(),
    durationMs: z.number().nonnegative(),
    /** Set when the call wrote to the workspace before it failed. */
    workspaceRevision: WorkspaceRevision.optional(),
  }),
  'tool.outcome_unknown': z.object({ callId: CallId, tool: ToolName, reason: z.string() }),
  /**
   * A supervisor's intervention (decider version 6 on): the detector, what it did, why (a nudge's
   * reason is what the model reads next), and the events that made it fire, the first where the
   * pattern began. `pause` and `abort` are recorded with the `session.paused` / `session.completed`
   * they lead to; `switch_model` names the model the session goes on with.
   */
  'supervisor.intervened': z.object({
    detector: DetectorName,
    action: InterventionAction,
    reason: z.string(),
    evidence: z.array(z.number().int().positive()).min(1),
    model: ModelName.optional(),
    /** For `rewind`: the event the fork starts after, and the fork's session id. */
    at: z.number().int().positive().optional(),
    fork: SessionId.optional(),
  }),
  /** The supervisor's judge read the session up to event `upTo` (decider version 7 on): its verdict, and its cost, counted in the session's totals. */
  'supervisor.judged': JudgedData,
  /**
   * The supervisor's gate's verdict on a tool call before it runs (decider version 7 on, an agent's
   * `supervision.gate`), recorded with the call's request and permission; or on a model call (no
   * `tool`; `gate.modelCalls`), recorded only when it stops the call, with the pause it leads to: `block` answers the call
   * with the reason, `pause` pauses the session before it runs, `unanswered` marks the agent's
   * fail-open or fail-closed choice when no supervisor answered in time.
   */
  'supervisor.gated': GateVerdict.extend({ tool: ToolName.optional() }),
  /**
   * The session takes no next step (no model or tool call) until `session.resumed`; results that
   * arrive meanwhile are still recorded. `by` and `fromBudget` extend the first shape, which no
   * service wrote: the session actor always sets `by`. Stored facts are read as written: the bounds
   * are on the pause and resume commands (session-commands.ts), not here.
   */
  'session.paused': z.object({
    reason: z.string(),
    /** Who asked: `cli:<user>`, a service's name, or `budget` when the session's budget ran out. */
    by: z.string().optional(),
    /** Set when a spent budget paused the session (decider version 2 on), after its `budget.exceeded`. */
    fromBudget: z.boolean().optional(),
  }),
  'session.resumed': z.object({
    reason: z.string().optional(),
    by: z.string().optional(),
    /** Limits the resume set, folded into the session's budget: a session paused by its budget goes on with them. */
    budget: z
      .object({
        maxSteps: z.number().optional(),
        maxCostUsd: z.number().optional(),
        maxToolCalls: z.number().optional(),
        maxToolCallsPerTool: z.record(z.string(), z.number()).optional(),
        maxNonIdempotentCalls: z.number().optional(),
        maxWallClockMs: z.number().optional(),
      })
      .optional(),
  }),
  'budget.exceeded': z.object({
    /** The limit reached: a budget field, or `maxToolCallsPerTool.<tool>` (decider version 4 added all but maxSteps and maxCostUsd). */
    limit: z.string().min(1).max(100),
    allowed: z.number(),
    used: z.number(),
  }),
  /** The agent's final answer, submitted for grading (decider version 8 on, a session with an outcome): its text and the workspace files it submits, at their revisions. */
  'outcome.submitted': SubmittedData,
  /**
   * The grader's grade of an attempt (decider version 8 on): per criterion and per grader, the score, pass
   * or fail, the changes required; or `problem` when it could not grade, with the pause that follows.
   * The grader model's tokens and cost are counted in the session's totals (and in `totals.grading`).
   */
  'outcome.graded': GradedData,
  /**
   * A final answer that did not satisfy the session's `output` schema (decider version 12 on): what was
   * wrong goes back to the model, once, as the next user message.
   */
  'output.rejected': z.object({
    attempt: z.number().int().positive(),
    errors: z.array(z.string().max(2_000)).min(1).max(10),
  }),
  /**
   * A delegation's child session started (decider version 11 on): `sessionId` is the child's, `agent` its
   * agent, `task` what it was asked, `budget` the slice of what the parent had left that it may spend.
   */
  'subagent.spawned': z.object({
    callId: CallId,
    sessionId: SessionId,
    agent: z.string(),
    task: z.string().optional(),
    budget: z.object({ maxSteps: z.number().int().min(1), maxCostUsd: z.number().nonnegative().optional() }).optional(),
    /** A handoff (`agents.handoff`): the child goes on with the conversation, and its answer is the session's. */
    handoff: z.literal(true).optional(),
  }),
  /** How the child ended: its status, answer or reason, and what it spent (counted in the parent's totals). */
  'subagent.completed': z.object({
    callId: CallId,
    sessionId: SessionId,
    status: z.string(),
    output: z.string().optional(),
    reason: z.string().optional(),
    totals: Totals.optional(),
    /** The run's workspace revision the child last named: its writes are in the parent's view from here. */
    workspaceRevision: WorkspaceRevision.optional(),
  }),
  /**
   * A user's message to the session (decider version 9 on): the next turn's input when the session is
   * idle, else queued for the turn after the one running. `messageId` is the inbox message that carried
   * it, so a message delivered twice is recorded once.
   */
  'message.received': z.object({ text: z.string(), by: z.string(), messageId: z.string() }),
  /**
   * The session's context was compacted (decider version 9 on): conversation messages `from` up to (not
   * including) `upTo` are replaced in its requests by `summary`, which the model `model` wrote (its cost
   * counted in the totals). With `error`, the summary could not be written and nothing was replaced.
   */
  'context.compacted': z.object({
    callId: CallId,
    from: z.number().int().nonnegative(),
    upTo: z.number().int().nonnegative(),
    summary: z.string().optional(),
    error: z.string().optional(),
    model: z.string(),
    usage: Usage.optional(),
    costUsd: z.number().nonnegative(),
    /** The estimated tokens of the next request before and after. */
    tokensBefore: z.number().int().nonnegative(),
    tokensAfter: z.number().int().nonnegative(),
  }),
  /** A named signal came (decider version 9 on): it completes a `wait.signal` call waiting for it, else it is kept for the next. */
  'signal.received': z.object({ name: z.string(), payload: z.string().optional(), by: z.string(), messageId: z.string() }),
  /** A conversation's turn ended with its answer (decider version 9 on): the session waits, idle, for the next message until it is closed. */
  'turn.completed': z.object({ turn: z.number().int().positive(), output: z.string(), stopReason: z.string() }),
  /**
   * The current step was stopped (decider version 9 on): the model call `callId` was cancelled and the
   * tool calls `cancelledCalls` were told to stop (the model reads them as failed). The session goes on
   * with the messages queued meanwhile, else waits for the next one.
   */
  'session.interrupted': z.object({
    by: z.string(),
    reason: z.string(),
    interruptId: z.string(),
    callId: CallId.optional(),
    cancelledCalls: z.array(CallId),
    /** What the abandoned model call cost, as far as its provider had reported it (counted in the totals). */
    usage: Usage.optional(),
    costUsd: z.number().nonnegative().optional(),
  }),
  'session.completed': z.object({
    status: z.enum(['succeeded', 'failed', 'aborted']),
    output: z.string().optional(),
    reason: z.string().optional(),
    totals: Totals,
    /** Set when a supervisor's rewind ended the session: the fork that goes on in its place. */
    rewoundTo: SessionId.optional(),
    /** Set when the session's outcome was graded (decider version 8 on): the last grade, which decided how it ended. */
    grade: z.object({ attempt: z.number().int().positive(), score: z.number(), passed: z.boolean() }).optional(),
    /** Set when a close ended the session (decider version 9 on): who closed it, `idle-timeout` when nobody wrote in time. */
    closedBy: z.string().optional(),
    /** Set when the session handed its conversation off (decider version 11 on): the session whose answer is its own. */
    handedOffTo: SessionId.optional(),
    /** Set when the session has an `output` schema and its answer satisfied it (decider version 12 on): the answer's JSON value. */
    structuredOutput: JsonData.optional(),
  }),
} as const;

export type EventType = keyof typeof eventData;
export const eventTypes = Object.keys(eventData) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventData)[T]>;

/**
 * The schema version (`v`) new events of each type are written with; a type not listed is at 1.
 * Raising one needs an upcaster from every older version in upcasters.ts.
 */
const currentVersions: Partial<Record<EventType, number>> = { 'session.created': 2, 'model.requested': 3 };

export function eventVersion(type: EventType): number {
  return currentVersions[type] ?? 1;
}

/** An event as a decider emits it; the shell wraps it in an envelope when appending. */
export type NewEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** A proposed event from the wire (a fork's prefix): its data is validated against its type's schema. */
export const NewEventSchema = z
  .object({ type: z.enum(eventTypes as [EventType, ...EventType[]]), data: z.unknown() })
  .transform((event, ctx): NewEvent => {
    const parsed = eventData[event.type].safeParse(event.data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['data', ...issue.path] });
      return z.NEVER;
    }
    return { type: event.type, data: parsed.data } as NewEvent;
  });
