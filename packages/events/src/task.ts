import { z } from 'zod';
import { Budget } from './agent.ts';
import { SessionId } from './ids.ts';
import { JsonData } from './json-data.ts';
import { OutcomeSettings } from './outcome.ts';
import { OutputSchema } from './output-schema.ts';
import { Policy } from './policy-document.ts';

/** The public ingress contract: what any NATS client publishes on `sbx.tasks.<agent>`. */
export const Task = z.strictObject({
  input: z.string().min(1, 'a task needs a non-empty "input"'),
  /** Makes submission idempotent: a second task with the same id starts nothing new. */
  sessionId: SessionId.optional(),
  rubric: JsonData.optional(),
  /** Overrides the agent's budget, field by field. */
  budget: Budget.partial().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Rules for this task alone: a call gets the stricter of these and the agent's policy, so a task can narrow, never widen. */
  policy: Policy.optional(),
  /** Grade the final answer against the rubric and give the agent more passes on a fail (replaces the agent's `outcome`). */
  outcome: OutcomeSettings.optional(),
  /** The JSON Schema the final answer must satisfy (replaces the agent's `output`); the session's `session.completed` carries the value. */
  output: OutputSchema.optional(),
  /** `false`: the session neither loads nor writes its agent's memory, and no consolidation ever reads it. */
  memory: z.boolean().optional(),
});
export type Task = z.infer<typeof Task>;

/** What a publisher that set `Sbx-Reply-To` gets back. */
export const TaskOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('accepted'), sessionId: SessionId }),
  z.object({ status: z.literal('duplicate'), sessionId: SessionId }),
  z.object({ status: z.literal('rejected'), error: z.string() }),
]);
export type TaskOutcome = z.infer<typeof TaskOutcome>;
