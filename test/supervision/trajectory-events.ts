import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NewEvent, SessionEvent } from '@signalbox/events';
import { stored } from '../../packages/supervision/src/spec.ts';

/**
 * Real agent trajectories with hand-checked labels, kept outside the repository (third-party data that
 * must not be committed): `../shared/trajectories` from the repository's root. Absent in a clone elsewhere.
 */
export const trajectoriesFolder = fileURLToPath(new URL('../../../shared/trajectories/', import.meta.url));

export interface TrajectoryStep {
  thought: string;
  tool: string;
  input: string;
  output: string;
  error: boolean;
}

export interface Trajectory {
  task: string;
  steps: TrajectoryStep[];
}

export interface TrajectoryLabels {
  repetition: boolean;
  repetition_first_step: number | null;
  error_spiral: boolean;
  no_progress: boolean;
  notes: string;
}

export interface LabelledTrajectory {
  file: string;
  trajectory: Trajectory;
  labels: TrajectoryLabels;
}

/** Every labelled trajectory, or none when the folder is absent. */
export function labelledTrajectories(folder = trajectoriesFolder): LabelledTrajectory[] {
  if (!existsSync(folder)) return [];
  const labels = JSON.parse(readFileSync(`${folder}/labels.json`, 'utf8')) as Record<string, TrajectoryLabels>;
  return readdirSync(folder)
    .filter((file) => file.includes('__') && file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, trajectory: JSON.parse(readFileSync(`${folder}/${file}`, 'utf8')) as Trajectory, labels: labels[file] as TrajectoryLabels }));
}

/**
 * Editor subcommands and tools that write files. The agents' executors reported no workspace changes,
 * so the adapter plays the executor's part: a successful write gets a new `workspaceRevision`, as
 * Signalbox's workspace tools and a shell tool writing in the workspace would report.
 */
const writingTools = /^(str_replace_editor:(create|str_replace|insert|undo_edit)|create|edit|insert|append|write_file|edit_file|Write|Edit)$/;
/** Shell commands that change files or the environment (the labels' rule: rm, mv, cp, sed -i, pip install, git apply...), judged on the first line. */
const writingCommand = /(^|[;&|(]\s*)(rm|mv|cp|touch|mkdir|patch|tee|sed\s+-i|git\s+(apply|checkout|reset|stash|am|commit)|pip\s+install|python\S*\s+setup\.py\s+(install|develop))\b|(^|[^0-9&><-])>>?\s*[^&\s>]/;

/** A tool call's input: the JSON arguments of MCP tools, else the command line or path as `command`. */
function inputOf(step: TrajectoryStep): Record<string, unknown> {
  if (step.input.startsWith('{')) {
    try {
      return JSON.parse(step.input) as Record<string, unknown>;
    } catch {
      // Cut at 500 characters: not JSON any more.
    }
  }
  return { command: step.input };
}

/** Whether a step changed state, by the labels' rule: a successful write, or a shell command that changes files. */
export function writes(step: TrajectoryStep): boolean {
  if (step.error) return false;
  return writingTools.test(step.tool) || (/^(bash|Bash)$/.test(step.tool) && writingCommand.test(step.input.split('\n')[0] ?? ''));
}

/**
 * A trajectory as a Signalbox session log: per step a model turn (its thought as text, one tool_use),
 * the call's `tool.requested`, and `tool.completed` or `tool.failed` (`error: true`). The empty `none`
 * step SWE-agent records when a limit stops it is no call. `stepOf` maps an event number to its step.
 */
export function trajectoryEvents(trajectory: Trajectory): { events: SessionEvent[]; stepOf: (n: number) => number | undefined } {
  const events: NewEvent[] = [];
  const steps: (number | undefined)[] = [undefined];
  const push = (event: NewEvent, step?: number) => {
    events.push(event);
    steps.push(step);
  };
  const maxSteps = trajectory.steps.length + 10;
  push({
    type: 'session.created',
    data: {
      agent: { name: 'recorded', model: 'recorded/agent', system: '', tools: [], budget: { maxSteps }, maxTokens: 4096, subagents: [] },
      input: trajectory.task,
      tools: [],
      budget: { maxSteps },
      deciderVersion: 5,
    },
  });
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  let revision = 0;
  for (const [index, step] of trajectory.steps.entries()) {
    if (step.tool === 'none') continue;
    const callId = `m${index}`;
    const toolCallId = `t${index}`;
    const input = inputOf(step);
    push({ type: 'model.requested', data: { callId, model: 'recorded', digest: callId, digestScheme: 'message-chain', attempt: 1 } }, index);
    const content = [...(step.thought === '' ? [] : [{ type: 'text' as const, text: step.thought }]), { type: 'tool_use' as const, id: toolCallId, name: step.tool, input }];
    push({ type: 'model.responded', data: { callId, model: 'recorded', content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 0 } }, index);
    push({ type: 'tool.requested', data: { callId: toolCallId, tool: step.tool, input: input, idempotencyKey: toolCallId } }, index);
    if (step.error) push({ type: 'tool.failed', data: { callId: toolCallId, tool: step.tool, error: step.output, durationMs: 0 } }, index);
    else push({ type: 'tool.completed', data: { callId: toolCallId, tool: step.tool, output: step.output, durationMs: 0, ...(writes(step) ? { workspaceRevision: (revision += 1) } : {}) } }, index);
  }
  push({ type: 'session.completed', data: { status: 'succeeded', totals: { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } });
  return { events: stored(events), stepOf: (n) => steps[n] };
}
