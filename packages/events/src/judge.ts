import { z } from 'zod';
import { Usage } from './conversation.ts';
import { ModelName, SessionId } from './ids.ts';

/**
 * The supervisor's judge (#18): every few model turns, or when another detector finds something, a
 * model reads the trajectory so far beside the goal and a rubric, in a context of its own, and says
 * whether the session is on track. Its cost is the session's: the actor records each judgement
 * (`supervisor.judged`) and counts it in the totals the budget's `maxCostUsd` checks.
 */

/**
 * What a judge concluded: the session is getting somewhere, or it is not; or its reply could not be
 * read (malformed, or not what was asked), which steers nothing but was paid for all the same.
 */
export const JudgeVerdict = z.enum(['on_track', 'off_track', 'unreadable']);
export type JudgeVerdict = z.infer<typeof JudgeVerdict>;

const JudgeModel = ModelName.refine((model) => model !== 'scripted', 'a judge is a provider model ("<provider>/<model>"); tests inject theirs into the supervisor');

/**
 * An agent's `supervision.judge`. A model costs money, so there is no judge without one: naming the
 * model turns it on. The rest have defaults (in @signalbox/supervision: every 10 turns, on findings,
 * at most 20 calls a session).
 */
export const JudgeSettings = z.strictObject({
  enabled: z.boolean().optional(),
  /** What an off-track verdict does first (default nudge); the agent's ladder climbs from it. */
  action: z.enum(['nudge', 'switch_model', 'pause', 'abort']).optional(),
  model: JudgeModel,
  /** Judge once this many model turns have passed since the last judgement. */
  everySteps: z.number().int().min(1).max(10_000).optional(),
  /** Judge also when another detector finds something, with its finding in view. */
  onFindings: z.boolean().optional(),
  /** What "on track" means for this agent; else the session's rubric, else a built-in one about progress towards the goal. */
  rubric: z.string().min(1).max(10_000).optional(),
  /** Judgements a session gets at most... */
  maxCalls: z.number().int().min(1).max(1_000).optional(),
  /** ...and dollars its judgements may spend at most, on top of its own budget. */
  maxCostUsd: z.number().positive().max(1_000).optional(),
  /** The trajectory shown to the judge is cut to this many characters, its latest events kept. */
  maxTrajectoryChars: z.number().int().min(1_000).max(400_000).optional(),
});
export type JudgeSettings = z.infer<typeof JudgeSettings>;

const BoundedUsage = z.strictObject({
  inputTokens: z.number().int().nonnegative().max(100_000_000),
  outputTokens: z.number().int().nonnegative().max(100_000_000),
  cacheReadTokens: z.number().int().nonnegative().max(100_000_000).default(0),
  cacheWriteTokens: z.number().int().nonnegative().max(100_000_000).default(0),
});

/**
 * A judgement to record, sent by the supervisor on `<prefix>.inbox.<sessionId>.supervisor` (where its
 * interventions go, which NATS permissions grant apart). `upTo` is the last event the judge read:
 * with the session, the judgement's identity, so a redelivered one is recorded once.
 */
export const JudgementCommand = z.strictObject({
  type: z.literal('judgement'),
  sessionId: SessionId,
  model: ModelName,
  upTo: z.number().int().positive(),
  verdict: JudgeVerdict,
  reason: z.string().max(2_000),
  /** The events the judge points at, in the trajectory it read. */
  evidence: z.array(z.number().int().positive()).max(20),
  usage: BoundedUsage,
  costUsd: z.number().nonnegative().max(1_000),
});
export type JudgementCommand = z.infer<typeof JudgementCommand>;

/** `supervisor.judged`'s data (decider version 7 on): the judgement as the command carried it. Stored facts are read as written. */
export const JudgedData = z.object({
  model: z.string(),
  upTo: z.number().int().positive(),
  verdict: JudgeVerdict,
  reason: z.string(),
  evidence: z.array(z.number().int().positive()),
  usage: Usage,
  costUsd: z.number().nonnegative(),
});
