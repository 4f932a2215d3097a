import { z } from 'zod';
import { ModelName, SessionId } from './ids.ts';
import { JsonData } from './json-data.ts';

/**
 * Outcomes (#19): a session whose task or agent carries an `outcome` does not end at its final
 * answer. The actor records `outcome.submitted` and sends a grade job to the grader pool, carrying
 * only that output and the rubric (never the conversation); the grader's verdict comes back as a
 * `grade` command, recorded as `outcome.graded`. A pass ends the session; a fail sends the required
 * changes to the agent as a new message, for another pass, until `maxAttempts`.
 */

const CriterionId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a criterion id is 1 to 64 lower-case letters, digits, "_" and "-"');

/** One thing the output must do, in words a grader reads; `required` ones fail the grade whatever the score. */
export const Criterion = z.strictObject({
  /** Names the criterion in verdicts and diffs; `c1`, `c2`, ... by position when absent. */
  id: CriterionId.optional(),
  text: z.string().min(1).max(2_000),
  weight: z.number().positive().max(100).default(1),
  required: z.boolean().default(false),
});
export type Criterion = z.infer<typeof Criterion>;

/** A rubric as a grade job carries it: its criteria, each with its id filled in. */
export const Rubric = z
  .strictObject({ criteria: z.array(Criterion.extend({ id: CriterionId })).min(1).max(50) })
  .refine((rubric) => new Set(rubric.criteria.map((criterion) => criterion.id)).size === rubric.criteria.length, { message: 'criterion ids must be unique', path: ['criteria'] });
export type Rubric = z.infer<typeof Rubric>;

/** A rubric as a task or an agent gives it: one sentence (a single required criterion), or criteria. */
export const RubricInput = z.union([
  z.string().min(1).max(2_000),
  z.strictObject({ criteria: z.array(Criterion).min(1).max(50) }),
]);
export type RubricInput = z.infer<typeof RubricInput>;

/**
 * The rubric a session's outcome is graded against, from the free-form `rubric` a task or an agent
 * carries (which the supervisor's judge also reads, as any JSON): a problem when it is not one.
 */
export function readRubric(rubric: unknown): { rubric: Rubric } | { problem: string } {
  const parsed = RubricInput.safeParse(rubric);
  if (!parsed.success) return { problem: `an outcome needs a rubric: a sentence, or { criteria: [{ text, weight?, required? }] } (${z.prettifyError(parsed.error)})` };
  const criteria = typeof parsed.data === 'string' ? [{ text: parsed.data, weight: 1, required: true }] : parsed.data.criteria;
  const withIds = Rubric.safeParse({ criteria: criteria.map((criterion, i) => ({ ...criterion, id: criterion.id ?? `c${i + 1}` })) });
  return withIds.success ? { rubric: withIds.data } : { problem: z.prettifyError(withIds.error) };
}

const GraderName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a grader name is 1 to 64 lower-case letters, digits, "_" and "-", starting with a letter');
const Weight = z.number().positive().max(100);

/**
 * A grader of an outcome: the model grader (the criteria, judged by the outcome's model), or a
 * deterministic one: a regular expression the output must (or must not) match, a JSON Schema the
 * output (parsed as JSON) must satisfy, or a function registered in the grader process with
 * `defineGrader` under this name. A weight counts under `combine: weighted`.
 */
export const GraderSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('model'), name: GraderName.default('model'), weight: Weight.default(1) }),
  z.strictObject({
    kind: z.literal('regex'),
    name: GraderName,
    pattern: z.string().min(1).max(1_000),
    flags: z.string().regex(/^[imsu]{0,4}$/, 'flags are some of i, m, s and u').optional(),
    /** Pass when the output does not match instead. */
    mustNotMatch: z.boolean().default(false),
    weight: Weight.default(1),
  }),
  z.strictObject({ kind: z.literal('json_schema'), name: GraderName, schema: JsonData, weight: Weight.default(1) }),
  z.strictObject({ kind: z.literal('function'), name: GraderName, weight: Weight.default(1) }),
]);
export type GraderSpec = z.infer<typeof GraderSpec>;

/** A workspace path the outcome submits with its text: relative, no `.` or `..` segment, no control character. */
export const SubmittedPath = z
  .string()
  .min(1)
  .max(512)
  .refine((path) => !path.startsWith('/') && !path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'), 'a submitted file is a relative workspace path')
  .refine((path) => !/[\p{Cc}\p{Zl}\p{Zp}]/u.test(path), 'a submitted file path holds no control character');

/**
 * A task's or an agent's `outcome` (the task's replaces the agent's). The graders (the model grader
 * by default) combine as `all` (each must pass) or `weighted` (the weighted mean of their scores
 * must reach `passThreshold`); the model grader itself passes when its criteria's weighted score
 * reaches `passThreshold` and every required criterion passes.
 */
export const OutcomeSettings = z
  .strictObject({
    passThreshold: z.number().min(0).max(1).default(0.8),
    /** Passes the agent gets in all, the first included; the last fail fails the session. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    graders: z.array(GraderSpec).min(1).max(10).default([{ kind: 'model', name: 'model', weight: 1 }]),
    combine: z.enum(['all', 'weighted']).default('all'),
    /** The model grader's model (`<provider>/<model>`); the agent's own when absent. */
    model: ModelName.optional(),
    /** Whether the grader also reads the task's input (off: it sees only the output and the rubric). */
    seesInput: z.boolean().default(false),
    /** Workspace files submitted with the output, read by the grader at the revision the output names. */
    files: z.array(SubmittedPath).max(20).default([]),
  })
  .refine((outcome) => new Set(outcome.graders.map((grader) => grader.name)).size === outcome.graders.length, { message: 'grader names must be unique', path: ['graders'] });
export type OutcomeSettings = z.infer<typeof OutcomeSettings>;

/** A file submitted with an outcome: its path, and the run's workspace revision it is read at (none: the run had written nothing). */
export const SubmittedFile = z.strictObject({ path: SubmittedPath, revision: z.number().int().positive().optional() });
export type SubmittedFile = z.infer<typeof SubmittedFile>;

/**
 * Work for the grader pool on `<prefix>.jobs.grade`: the submitted output and the rubric, and
 * nothing of the conversation (the task's input only when `outcome.seesInput`).
 */
export const GradeJob = z.strictObject({
  sessionId: SessionId,
  correlationId: SessionId,
  /** Which pass of the agent this grades (1 is its first answer): with the session, the grade's identity. */
  attempt: z.number().int().min(1).max(20),
  output: z.string().max(1_000_000),
  files: z.array(SubmittedFile).max(20),
  rubric: Rubric,
  /** The outcome's settings, its grader model resolved. */
  outcome: OutcomeSettings,
  /** The grader model, resolved: the outcome's, else the agent's. */
  model: ModelName,
  input: z.string().max(1_000_000).optional(),
  /**
   * A fork's inherited workspace: the layers of the runs it was forked from, as of its fork point,
   * which the actor reads from the log (the grader may not). A submitted file is read through the
   * run's own layer up to its revision, then these.
   */
  inherited: z.array(z.strictObject({ root: SessionId, upTo: z.number().int().positive().optional() })).max(64).optional(),
});
export type GradeJob = z.infer<typeof GradeJob>;

const Reason = z.string().max(2_000);

const BoundedUsage = z.strictObject({
  inputTokens: z.number().int().nonnegative().max(100_000_000),
  outputTokens: z.number().int().nonnegative().max(100_000_000),
  cacheReadTokens: z.number().int().nonnegative().max(100_000_000).default(0),
  cacheWriteTokens: z.number().int().nonnegative().max(100_000_000).default(0),
});

/** The model grader's verdict on one criterion. */
export const CriterionVerdict = z.strictObject({ criterion: CriterionId, passed: z.boolean(), reason: Reason });
export type CriterionVerdict = z.infer<typeof CriterionVerdict>;

/** One grader's result: pass or fail, a score from 0 to 1, and why. */
export const GraderResult = z.strictObject({ name: GraderName, kind: z.enum(['model', 'regex', 'json_schema', 'function']), passed: z.boolean(), score: z.number().min(0).max(1), reason: Reason });
export type GraderResult = z.infer<typeof GraderResult>;

/**
 * The grader's answer for attempt `attempt`, sent on `<prefix>.inbox.<sessionId>.grader` (a subject
 * of its own, which NATS permissions grant apart). Either a grade (`passed`, `score`, the verdicts and
 * the changes required), or `problem`: the attempt could not be graded (the model's verdict stayed
 * malformed after its retries, a function grader is not registered), and the session pauses with it.
 * The model grader's usage and cost come with either: they are the session's.
 */
export const GradeCommand = z.strictObject({
  type: z.literal('grade'),
  sessionId: SessionId,
  attempt: z.number().int().min(1).max(20),
  passed: z.boolean(),
  score: z.number().min(0).max(1),
  verdicts: z.array(CriterionVerdict).max(50),
  graders: z.array(GraderResult).max(10),
  /** What the agent must change to pass, one item a change: what it reads on a fail. */
  changes: z.array(Reason).max(20),
  /** Set when the graders disagree (some passed, some failed): which did what. */
  disagreement: Reason.optional(),
  problem: Reason.optional(),
  model: ModelName.optional(),
  usage: BoundedUsage.optional(),
  costUsd: z.number().nonnegative().max(1_000).default(0),
});
export type GradeCommand = z.infer<typeof GradeCommand>;

/** `outcome.submitted`'s data (decider version 8 on): the agent's final answer for attempt `attempt`, and the files it submits at their revisions. */
export const SubmittedData = z.object({
  attempt: z.number().int().positive(),
  output: z.string(),
  files: z.array(z.object({ path: z.string(), revision: z.number().int().positive().optional() })),
});

/** `outcome.graded`'s data (decider version 8 on): the grade as the command carried it. Stored facts are read as written. */
export const GradedData = z.object({
  attempt: z.number().int().positive(),
  passed: z.boolean(),
  score: z.number(),
  verdicts: z.array(z.object({ criterion: z.string(), passed: z.boolean(), reason: z.string() })),
  graders: z.array(z.object({ name: z.string(), kind: z.string(), passed: z.boolean(), score: z.number(), reason: z.string() })),
  changes: z.array(z.string()),
  disagreement: z.string().optional(),
  problem: z.string().optional(),
  model: z.string().optional(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), cacheReadTokens: z.number().default(0), cacheWriteTokens: z.number().default(0) }).optional(),
  costUsd: z.number().nonnegative(),
});
