import { z } from 'zod';
import { EvalSuite } from './suite.ts';

/** One intervention in a run (interventions.ts finds them). */
export const Intervention = z.object({
  n: z.number().int().positive(),
  at: z.number(),
  detector: z.string(),
  action: z.string(),
  evidence: z.array(z.number().int()),
  timing: z.object({ steps: z.number().int().nonnegative(), seconds: z.number().nonnegative() }).optional(),
});

export type Intervention = z.infer<typeof Intervention>;

/** What one run came to. */
export const RunRecord = z.object({
  task: z.string(),
  configuration: z.string(),
  repeat: z.number().int().nonnegative(),
  sessionId: z.string(),
  status: z.enum(['succeeded', 'failed', 'aborted', 'paused', 'timed out']),
  success: z.boolean(),
  failures: z.array(z.string()),
  grade: z.number().optional(),
  costUsd: z.number(),
  steps: z.number(),
  toolCalls: z.number(),
  durationMs: z.number(),
  interventions: z.array(Intervention),
  approvals: z.number(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** A fork of a run just before one of its interventions, with that intervention's detector off. */
export const ForkRecord = RunRecord.extend({ forkOf: z.string(), interventionN: z.number().int().positive(), costAtForkUsd: z.number(), stepsAtFork: z.number().int().nonnegative() });
export type ForkRecord = z.infer<typeof ForkRecord>;

/** Where a task's successful and failed runs part (divergence.ts). */
export const TaskTrajectoriesRecord = z.object({
  task: z.string(),
  successes: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  pairs: z.number().int().nonnegative(),
  divergences: z.array(z.object({ step: z.number().int().nonnegative(), succeeded: z.string(), failed: z.string(), pairs: z.number().int().positive() })),
  detectors: z.array(z.object({ detector: z.string(), onSuccesses: z.number().int().nonnegative(), onFailures: z.number().int().nonnegative() })),
});

/**
 * A run of an eval, as kept in the evals bucket under its id: the suite as it ran (its configurations),
 * every session it started with what each came to, and the counterfactual forks.
 */
export const EvalRecord = z.object({
  id: z.string().min(1).max(100),
  suite: EvalSuite,
  status: z.enum(['running', 'finished', 'failed']),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  error: z.string().optional(),
  /** Every planned run's session id from the start, so a run that dies halfway can be traced. */
  sessions: z.array(z.object({ sessionId: z.string(), task: z.string(), configuration: z.string(), repeat: z.number().int().nonnegative() })),
  runs: z.array(RunRecord),
  forks: z.array(ForkRecord).default([]),
  trajectories: z.array(TaskTrajectoriesRecord).default([]),
});
export type EvalRecord = z.infer<typeof EvalRecord>;
