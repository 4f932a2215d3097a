import { assertNever, ToolResult, type ToolOutcome } from '@signalbox/events';
import { z } from 'zod';

/**
 * What the tool ledger holds for one call, under its idempotency key. `started` is written (create-only)
 * before the tool runs; `finished` holds the result every later delivery of the call answers with.
 */
export const LedgerEntry = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('started'),
    idempotencyKey: z.string(),
    /** The job message (`<stream>/<seq>`) whose delivery claimed the call. */
    job: z.string(),
    instance: z.string(),
    at: z.number(),
  }),
  z.object({
    state: z.literal('finished'),
    idempotencyKey: z.string(),
    instance: z.string(),
    at: z.number(),
    result: ToolResult,
  }),
]);
export type LedgerEntry = z.infer<typeof LedgerEntry>;
export type StartedEntry = Extract<LedgerEntry, { state: 'started' }>;

/** What one delivery of a tool job should do, given the ledger. */
export type ExecutionPlan =
  /** The call finished before: answer with its recorded result, without running the tool. */
  | { action: 'replay'; result: ToolResult }
  /** Claim the call and run the tool; `rerun` when an earlier run of this idempotent call was cut off. */
  | { action: 'run'; rerun: boolean }
  /** A non-idempotent call was cut off mid-run: it may have taken effect, so it is not run again. */
  | { action: 'unknown'; reason: string }
  /** Another delivery is running the call right now: try again later, when it will have finished. */
  | { action: 'wait'; reason: string };

export interface PlanningContext {
  /** The job message this delivery holds, `<stream>/<seq>`. */
  job: string;
  tool: { name: string; idempotent: boolean; timeoutMs: number };
  now: number;
}

/**
 * Time past a tool's timeout after which a claim counts as abandoned. A live executor cannot hold a
 * call past the timeout and records the result at once after it, so a claim this old lost its worker.
 */
export const claimGraceMs = 30_000;

export function planExecution(entry: LedgerEntry | undefined, context: PlanningContext): ExecutionPlan {
  if (!entry) return { action: 'run', rerun: false };
  if (entry.state === 'finished') return { action: 'replay', result: entry.result };
  const started = `started on ${entry.instance} at ${new Date(entry.at).toISOString()}`;
  if (!isAbandoned(entry, context)) {
    return { action: 'wait', reason: `${context.tool.name} call ${entry.idempotencyKey} is running (${started})` };
  }
  if (context.tool.idempotent) return { action: 'run', rerun: true };
  return {
    action: 'unknown',
    reason: `${context.tool.name} was cut off mid-call (${started}) and is not safe to run twice; check whether it took effect before calling it again`,
  };
}

/**
 * A claim is abandoned when this is a redelivery of the very job that made it (JetStream redelivers only
 * after the holder stopped acknowledging: it died), or when it is older than any live run could be.
 */
function isAbandoned(entry: StartedEntry, context: PlanningContext): boolean {
  return entry.job === context.job || context.now - entry.at > context.tool.timeoutMs + claimGraceMs;
}

/** What to tell the session of a job that was dead-lettered, so it does not wait on the call forever. */
export type DeadLetterAnswer =
  /** The call finished: its recorded result, or `fallback` if that cannot be delivered (it is why the job died). */
  | { send: 'recorded'; result: ToolResult; fallback: ToolOutcome }
  | { send: 'outcome'; outcome: ToolOutcome }
  /** Another delivery is running the call and will answer. */
  | { send: 'nothing'; why: string };

/** Failed if the call never started, unknown if it may have run, its recorded result if it finished. */
export function deadLetterAnswer(plan: ExecutionPlan, reason: string): DeadLetterAnswer {
  const failed = { status: 'failed', error: `the call could not be carried out: ${reason}` } as const;
  switch (plan.action) {
    case 'replay':
      return { send: 'recorded', result: plan.result, fallback: { status: 'failed', error: `the call finished but its result could not be delivered: ${reason}` } };
    case 'wait':
      return { send: 'nothing', why: plan.reason };
    case 'run':
      if (!plan.rerun) return { send: 'outcome', outcome: failed };
      return { send: 'outcome', outcome: { status: 'unknown', reason: `the call started but never finished: ${reason}` } };
    case 'unknown':
      return { send: 'outcome', outcome: { status: 'unknown', reason: plan.reason } };
    default:
      return assertNever(plan);
  }
}
