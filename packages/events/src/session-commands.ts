import { z } from 'zod';
import { BudgetLimits, DetectorName, InterventionAction, PauseReason, Requester, Totals } from './catalogue.ts';
import { ApprovalId, ApprovalScope, ModelName, SessionId, sessionOfApproval, TimerId } from './ids.ts';

/**
 * Commands the next services send a session on `sbx.inbox.<sessionId>`, beside tool results and
 * forks (commands.ts). Every string and array is bounded and none holds free-form data, so a
 * hostile sender cannot make the actor hold megabytes or deep nesting; unknown fields are refused.
 */

const CallId = z.string().min(1).max(200);
const ShortText = z.string().max(2000);
const LongText = z.string().max(100_000);

/** Stop taking steps: no model or tool call until resumed. Idempotent; refused for a session that does not exist. */
export const PauseCommand = z.strictObject({
  type: z.literal('pause'),
  sessionId: SessionId,
  by: Requester,
  reason: PauseReason.default(''),
});
export type PauseCommand = z.infer<typeof PauseCommand>;

/** Go on from where a pause stopped, with the budget's limits set to `budget` when given. Does nothing to a session not paused. */
export const ResumeCommand = z.strictObject({
  type: z.literal('resume'),
  sessionId: SessionId,
  by: Requester,
  budget: BudgetLimits.optional(),
});
export type ResumeCommand = z.infer<typeof ResumeCommand>;

/**
 * A supervisor's detector fired on the session: nudge it (`message` is added to its next model
 * request), pause it, abort it, switch its model, rewind it (a fork at `at` with `message` as a hint, the
 * session ending `aborted`; decider version 7 on), or compact its context (decider version 9 on).
 * Taken only on `<prefix>.inbox.<sessionId>.supervisor`, which NATS permissions grant apart.
 */
export const InterventionCommand = z
  .strictObject({
    type: z.literal('intervention'),
    sessionId: SessionId,
    detector: DetectorName,
    action: InterventionAction,
    message: ShortText,
    /** The event numbers that made the detector fire, the first where the pattern began: with the detector, the intervention's identity. */
    evidence: z.array(z.number().int().positive()).min(1).max(100),
    /** The model to go on with, for `switch_model`. */
    model: ModelName.optional(),
    /** For `rewind`: go back to the last user message at or before this event (see @signalbox/session's rewind.ts). */
    at: z.number().int().positive().max(100_000_000).optional(),
    /** Applies only while the session's last event is this one (decider version 7 on): a stalled session's timer is stale once it moved. */
    whileHeadIs: z.number().int().positive().optional(),
  })
  .refine((intervention) => (intervention.action === 'switch_model') === (intervention.model !== undefined), {
    message: 'a switch_model intervention names the model to switch to, and only it does',
    path: ['model'],
  })
  .refine((intervention) => (intervention.action === 'rewind') === (intervention.at !== undefined), {
    message: 'a rewind intervention names the event to rewind to (at), and only it does',
    path: ['at'],
  });
export type InterventionCommand = z.infer<typeof InterventionCommand>;

/**
 * A person's answer to a tool call waiting for approval, or the approval's timer's denial at its
 * deadline (`by: timeout`). `scope: session` approves the tool's later calls in the session too.
 */
export const ApprovalDecisionCommand = z
  .strictObject({
    type: z.literal('approval.decision'),
    sessionId: SessionId,
    approvalId: ApprovalId,
    approved: z.boolean(),
    by: Requester,
    note: ShortText.optional(),
    scope: ApprovalScope.optional(),
  })
  .refine((decision) => sessionOfApproval(decision.approvalId) === decision.sessionId, {
    message: 'the approval is of another session than the command',
    path: ['approvalId'],
  });
export type ApprovalDecisionCommand = z.infer<typeof ApprovalDecisionCommand>;

/** How a subagent the session spawned (for its call `callId`) ended. */
export const ChildResultCommand = z.strictObject({
  type: z.literal('child.result'),
  sessionId: SessionId,
  callId: CallId,
  childSessionId: SessionId,
  status: z.enum(['succeeded', 'failed', 'aborted']),
  output: LongText.optional(),
  reason: LongText.optional(),
  /** What the child spent, which the parent counts in its own totals. */
  totals: Totals.optional(),
  /** The run's workspace revision the child last named, so the parent's view of the run's files includes the child's writes. */
  workspaceRevision: z.number().int().positive().optional(),
});
export type ChildResultCommand = z.infer<typeof ChildResultCommand>;

/**
 * A message from the user to a session (decider version 9 on): an idle session takes it as its next
 * turn; a running one queues it for the turn after, unless `interrupt` stops the running step first.
 */
export const UserMessageCommand = z.strictObject({
  type: z.literal('user.message'),
  sessionId: SessionId,
  by: Requester,
  text: LongText.min(1),
  interrupt: z.boolean().optional(),
});
export type UserMessageCommand = z.infer<typeof UserMessageCommand>;

/**
 * Stop the session's current step (decider version 9 on): its model call is cancelled, its running
 * tool calls are told to stop, and it waits for the next message. Sent on the session's inbox, where
 * it is recorded, and on the core subject `<prefix>.interrupt.<sessionId>`, where the actor making the
 * call and the executors running its tools hear it at once. `interruptId` makes the two one interrupt.
 */
export const InterruptCommand = z.strictObject({
  type: z.literal('interrupt'),
  sessionId: SessionId,
  by: Requester,
  reason: ShortText.default(''),
  interruptId: TimerId,
});
export type InterruptCommand = z.infer<typeof InterruptCommand>;

/** At most this many calls one `CallsCancelled` names: a turn's calls, with room; the actor sends none past it. */
export const maxCancelledCalls = 1_000;
/** A call id as `CallsCancelled` names it: providers' ids are tens of characters. */
export const CancelledCallId = z.string().min(1).max(512);

/**
 * The calls an interrupt (or a close) cancelled (maybe none), sent by the actor that recorded it on the
 * core subject `<prefix>.interrupt.<sessionId>.cancelled`, which only actors may publish: an executor that
 * takes one of them later (queued behind others, say) answers it as stopped without running it, and one
 * that heard the interrupt first holds the session's next calls until this comes. A message of its own
 * rather than a field of the interrupt, which executors and actors of an earlier release read strictly.
 */
export const CallsCancelled = z.strictObject({
  type: z.literal('calls.cancelled'),
  sessionId: SessionId,
  by: Requester,
  calls: z.array(CancelledCallId).max(maxCancelledCalls),
});
export type CallsCancelled = z.infer<typeof CallsCancelled>;

/**
 * End a conversation (decider version 9 on): an idle session completes with its last answer; a running
 * one is stopped and ends aborted. `ifIdleSince` (the idle timer's) applies only while the session is
 * still idle since that event: a message that came since keeps it open.
 */
export const CloseCommand = z.strictObject({
  type: z.literal('close'),
  sessionId: SessionId,
  by: Requester,
  reason: ShortText.default(''),
  ifIdleSince: z.number().int().positive().optional(),
});
export type CloseCommand = z.infer<typeof CloseCommand>;

/**
 * A named signal to a session (decider version 9 on), with an optional payload: a call of the built-in
 * `wait.signal` waiting for that name completes with the payload; with none waiting, it is kept for the next.
 */
export const SignalCommand = z.strictObject({
  type: z.literal('signal'),
  sessionId: SessionId,
  by: Requester,
  name: TimerId,
  payload: LongText.optional(),
});
export type SignalCommand = z.infer<typeof SignalCommand>;
