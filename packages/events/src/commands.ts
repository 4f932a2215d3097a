import { z } from 'zod';
import { ForkOrigin, NewEventSchema, WholeOutput, WorkspaceRevision } from './catalogue.ts';
import { ModelName, SessionId, ToolName } from './ids.ts';
import { SupervisionConfig } from './supervision-config.ts';
import { JsonData } from './json-data.ts';
import { JudgementCommand } from './judge.ts';
import { GradeCommand } from './outcome.ts';
import { SubagentStartCommand } from './delegation.ts';
import type { Naming } from './naming.ts';
import { ToolGrant } from './permission.ts';
import {
  ApprovalDecisionCommand,
  ChildResultCommand,
  CloseCommand,
  InterruptCommand,
  InterventionCommand,
  PauseCommand,
  ResumeCommand,
  SignalCommand,
  UserMessageCommand,
} from './session-commands.ts';

/** Work for the tool-executor pool, published on `sbx.jobs.tool.<tool>`. */
export const ToolJob = z.object({
  sessionId: SessionId,
  correlationId: SessionId,
  callId: z.string().min(1),
  tool: ToolName,
  input: JsonData,
  /** Same key on every redelivery or re-dispatch: the executor's ledger runs it once. */
  idempotencyKey: z.string().min(1),
  /**
   * Set only on the dispatch that follows the call's `tool.requested` (a re-dispatch after a crash
   * leaves it out): on its first delivery the key cannot have been run yet.
   */
  firstDispatch: z.literal(true).optional(),
  /**
   * Where the result goes: the dispatching actor's own inbox (`<prefix>.inbox.<sessionId>.<actor>`),
   * so the session's next step runs where its state is cached. The session's inbox when absent.
   */
  replyTo: z.string().optional(),
  /** The broker's grant for this call; executors that trust a broker run no job without a valid one. */
  grant: ToolGrant.optional(),
  /**
   * Set when the dispatching actor knows from the session's state that the call's run (the root session,
   * `correlationId`) is not a fork: the call sees the run's own workspace writes only, and the executor
   * need not read the run's first event to learn it. It can only narrow what a call sees: a fork's job
   * that said so would see its own writes without its origin's.
   */
  unforkedRun: z.literal(true).optional(),
});
export type ToolJob = z.infer<typeof ToolJob>;

/** How a tool call ended. */
export const ToolOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('completed'), output: z.string(), wholeOutput: WholeOutput.optional(), workspaceRevision: WorkspaceRevision.optional() }),
  z.object({ status: z.literal('failed'), error: z.string(), workspaceRevision: WorkspaceRevision.optional() }),
  /** A non-idempotent call cut off mid-run: it may or may not have taken effect, and is not run again. */
  z.object({ status: z.literal('unknown'), reason: z.string() }),
]);
export type ToolOutcome = z.infer<typeof ToolOutcome>;

/** A tool call's result, sent to its session's inbox; the session records it as a tool outcome event (tool-outcome.ts). */
export const ToolResult = z.object({
  type: z.literal('tool.result'),
  sessionId: SessionId,
  callId: z.string().min(1),
  tool: ToolName,
  outcome: ToolOutcome,
  durationMs: z.number().nonnegative(),
});
export type ToolResult = z.infer<typeof ToolResult>;

/**
 * Starts session `sessionId` as a fork of `from.sessionId`: its first `from.n` events are the original's
 * (read from the log by the session actor, so a long original fits in the request), event `from.n`
 * replaced by `edit` when given; then the fork continues live. Sent to the new session's inbox.
 */
export const ForkRequest = z.object({
  type: z.literal('fork'),
  sessionId: SessionId,
  from: ForkOrigin,
  /** Event `from.n` as the fork has it, when the fork changes it (type and data). */
  edit: NewEventSchema.optional(),
  /** Agent fields the fork changes (`supervision` whole: an eval's counterfactual turns one detector off in it). */
  agent: z.object({ model: ModelName.optional(), system: z.string().optional(), supervision: SupervisionConfig.optional() }).optional(),
});
export type ForkRequest = z.infer<typeof ForkRequest>;

/**
 * Commands other services send to a session on `sbx.inbox.<sessionId>`, each with its schema: tool
 * results and forks, pause and resume, and those of the services still to come (interventions,
 * approval decisions, grades, child results, and a conversation's messages, interrupts and close).
 */
export const InboxCommand = z.discriminatedUnion('type', [
  ToolResult,
  ForkRequest,
  PauseCommand,
  ResumeCommand,
  InterventionCommand,
  JudgementCommand,
  ApprovalDecisionCommand,
  GradeCommand,
  ChildResultCommand,
  SubagentStartCommand,
  UserMessageCommand,
  InterruptCommand,
  CloseCommand,
  SignalCommand,
]);
export type InboxCommand = z.infer<typeof InboxCommand>;

/** Commands a person or a client steers a session with: taken on `<prefix>.inbox.<sessionId>.messages`. */
const steering = new Set<InboxCommand['type']>(['user.message', 'interrupt', 'close', 'signal', 'pause', 'resume', 'fork']);

/**
 * The subject `command` is sent on: the session's inbox (a tool result), or a subject of its own, which
 * NATS permissions grant apart: an answer to an approval, an intervention or a judgement (the
 * supervisor's), a grade, a delegation's start and result, and what a person or a client steers with (a
 * message, an interrupt, a close, a signal, a pause, a resume, a fork). The session actor takes each
 * from no other, but for a denial (an approval's timer sends it to the inbox) and a pause, resume or fork
 * sent to the inbox, as clients did before they had `.messages`: the gateway, which sends those, may not
 * publish on the inbox, so it cannot answer a tool call.
 */
export function commandSubject(names: Naming, command: InboxCommand): string {
  if (command.type === 'approval.decision') return names.subjects.approvals(command.sessionId);
  if (command.type === 'intervention' || command.type === 'judgement') return names.subjects.interventions(command.sessionId);
  if (command.type === 'grade') return names.subjects.grades(command.sessionId);
  if (command.type === 'child.result' || command.type === 'subagent.start') return names.subjects.subagents(command.sessionId);
  if (steering.has(command.type)) return names.subjects.messages(command.sessionId);
  return names.subjects.inbox(command.sessionId);
}
