import { eventVersion, JsonData, type NewEvent, type SessionEvent } from '@signalbox/events';
import { z } from 'zod';

/**
 * Signalbox's import format for labelled trajectories (docs/labelled-trajectories.md): any agent's
 * run as steps (a tool call, its input and output), with spans labelled by failure mode. A failure
 * mode named like a detector (`repetition`, `no_progress`, `error_spiral`, `waste`...) is what that
 * detector is scored against.
 */
export const TrajectoryStep = z.strictObject({
  tool: z.string().min(1).max(200),
  /** The call's input: an object as the tool took it, or text (a command line, a path). */
  input: z.union([z.string().max(100_000), z.record(z.string(), JsonData)]),
  output: z.string().max(1_000_000),
  /** The call failed (an error the agent saw). */
  error: z.boolean().default(false),
  /** The call changed state (wrote a file, installed a package): the same call after it is no loop. */
  changesState: z.boolean().default(false),
  /** What the agent said before the call. */
  thought: z.string().max(100_000).optional(),
});
export type TrajectoryStep = z.infer<typeof TrajectoryStep>;

/** A labelled stretch of steps, 0-based and inclusive. */
export const FailureSpan = z
  .strictObject({
    failureMode: z.string().min(1).max(100).regex(/^[a-z][a-z0-9_.-]*$/, 'a failure mode is lower-case letters, digits, "_", "-" and "."'),
    firstStep: z.number().int().min(0),
    lastStep: z.number().int().min(0),
    note: z.string().max(2_000).optional(),
  })
  .refine((span) => span.lastStep >= span.firstStep, { message: 'lastStep comes before firstStep', path: ['lastStep'] });
export type FailureSpan = z.infer<typeof FailureSpan>;

export const LabelledTrajectory = z
  .strictObject({
    format: z.literal('signalbox.labelled-trajectory/1'),
    name: z.string().min(1).max(200),
    task: z.string().max(100_000).default(''),
    steps: z.array(TrajectoryStep).max(100_000),
    /** Every failure in the run; none: a healthy run, where any finding is a false alarm. */
    labels: z.array(FailureSpan).max(1_000).default([]),
  })
  .refine((trajectory) => trajectory.labels.every((span) => span.lastStep < trajectory.steps.length), { message: 'a label reaches past the last step', path: ['labels'] });
export type LabelledTrajectory = z.infer<typeof LabelledTrajectory>;

/** A labelled trajectory file could not be read: the message says which and where. */
export class LabelledFormatError extends Error {
  override readonly name = 'LabelledFormatError';
  readonly code = 'invalid_labelled_trajectory';
}

/** The trajectories in a file's text: one JSON object, an array of them, or one a line (JSON Lines). */
export function parseLabelledTrajectories(text: string, source = 'input'): LabelledTrajectory[] {
  const trimmed = text.trim();
  const documents = trimmed.startsWith('[') || !trimmed.includes('\n') ? [trimmed] : trimmed.split('\n').filter((line) => line.trim() !== '');
  return documents.flatMap((document, index) => {
    let json: unknown;
    try {
      json = JSON.parse(document);
    } catch (error) {
      throw new LabelledFormatError(`${source}${documents.length > 1 ? ` line ${index + 1}` : ''}: not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    const parsed = z.array(LabelledTrajectory).safeParse(Array.isArray(json) ? json : [json]);
    if (!parsed.success) throw new LabelledFormatError(`${source}${documents.length > 1 ? ` line ${index + 1}` : ''}: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
    return parsed.data;
  });
}

/**
 * A trajectory as a Signalbox session log, so the detectors read it as they read a live session: per
 * step a model turn (its thought, one tool call), the call's request, and its completion or failure (a
 * completion that changed state reports a workspace revision, as the workspace tools do). `stepOf`
 * maps an event number back to its step.
 */
export function trajectoryLog(trajectory: LabelledTrajectory, startedAt = 0): { events: SessionEvent[]; stepOf: (n: number) => number | undefined } {
  const events: NewEvent[] = [];
  const steps: (number | undefined)[] = [undefined];
  const push = (event: NewEvent, step?: number) => (events.push(event), steps.push(step));
  const maxSteps = trajectory.steps.length + 10;
  const agent = { name: 'imported', model: 'imported/agent', system: '', tools: [], budget: { maxSteps }, maxTokens: 4096, subagents: [] };
  push({ type: 'session.created', data: { agent, input: trajectory.task || trajectory.name, tools: [], budget: { maxSteps }, deciderVersion: 5 } });
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  let revision = 0;
  for (const [index, step] of trajectory.steps.entries()) {
    const [callId, toolCallId] = [`m${index}`, `t${index}`];
    const input = typeof step.input === 'string' ? { input: step.input } : step.input;
    const content = [...(step.thought ? [{ type: 'text' as const, text: step.thought }] : []), { type: 'tool_use' as const, id: toolCallId, name: step.tool, input }];
    push({ type: 'model.requested', data: { callId, model: 'imported', digest: callId, digestScheme: 'message-chain', attempt: 1 } }, index);
    push({ type: 'model.responded', data: { callId, model: 'imported', content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 0 } }, index);
    push({ type: 'tool.requested', data: { callId: toolCallId, tool: step.tool, input, idempotencyKey: toolCallId } }, index);
    if (step.error) push({ type: 'tool.failed', data: { callId: toolCallId, tool: step.tool, error: step.output, durationMs: 0 } }, index);
    else push({ type: 'tool.completed', data: { callId: toolCallId, tool: step.tool, output: step.output, durationMs: 0, ...(step.changesState ? { workspaceRevision: (revision += 1) } : {}) } }, index);
  }
  const sessionId = 'imported';
  const stored: SessionEvent[] = events.map((event, index) => ({ ...event, id: `e${index + 1}`, v: eventVersion(event.type), sessionId, n: index + 1, at: startedAt + index, causationId: null, correlationId: sessionId, by: { service: 'eval', instance: 'import' } }));
  return { events: stored, stepOf: (n) => steps[n] };
}
