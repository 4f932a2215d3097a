import { assertNever, canonicalJson, type SessionEvent } from '@signalbox/events';
import { callKey, matchesGlob } from './text.ts';

/** A tool call as the log requested it. */
export interface Call {
  callId: string;
  tool: string;
  /** The tool and its normalised input: equal keys are the same call. */
  key: string;
  /** The `tool.requested` event's number. */
  n: number;
}

/** The budget limits the detectors project against. */
export interface ViewBudget {
  maxSteps: number;
  maxCostUsd?: number;
  maxWallClockMs?: number;
}

/** What every detector may know of the session so far, folded once for all of them. */
export interface SessionView {
  budget: ViewBudget;
  /** The log's time of `session.created`. */
  startedAt: number;
  /** Model turns answered (`model.responded`). */
  steps: number;
  costUsd: number;
  /** Calls requested and not yet answered, by call id. */
  pending: ReadonlyMap<string, Call>;
  /** The highest workspace revision an outcome named. */
  workspaceRevision: number;
  /** Tools that change state when they succeed: the configured globs. */
  stateChangingTools: readonly string[];
  /** Tools not safe to run twice (`session.created`): each of their calls may change something. */
  nonIdempotentTools: readonly string[];
}

/** The current event as the detectors read it. */
export interface Observation {
  /** The call a `tool.*` event is about. */
  call: Call | undefined;
  /** A call that ended having changed state: a new workspace revision, or a state-changing tool that did not fail. */
  changesState: boolean;
}

export function initialView(stateChangingTools: readonly string[]): SessionView {
  return { budget: { maxSteps: 20 }, startedAt: 0, steps: 0, costUsd: 0, pending: new Map(), workspaceRevision: 0, stateChangingTools, nonIdempotentTools: [] };
}

/** The view after `event`, and what `event` means. */
export function observe(view: SessionView, event: SessionEvent): { view: SessionView; observation: Observation } {
  const none: Observation = { call: undefined, changesState: false };
  switch (event.type) {
    case 'session.created': {
      const { budget, nonIdempotentTools } = event.data;
      return { view: { ...view, budget: limitsOf(budget), startedAt: event.at, nonIdempotentTools: nonIdempotentTools ?? [] }, observation: none };
    }
    case 'session.resumed': {
      const limits = event.data.budget;
      if (limits === undefined) return { view, observation: none };
      const budget = { ...view.budget, ...definedOnly({ maxSteps: limits.maxSteps, maxCostUsd: limits.maxCostUsd, maxWallClockMs: limits.maxWallClockMs }) };
      return { view: { ...view, budget }, observation: none };
    }
    case 'model.responded':
      return { view: { ...view, steps: view.steps + 1, costUsd: view.costUsd + event.data.costUsd }, observation: none };
    case 'model.failed':
      return { view: { ...view, costUsd: view.costUsd + (event.data.costUsd ?? 0) }, observation: none };
    case 'supervisor.judged': // the judge's cost is the session's
    case 'outcome.graded': // and so is the grader's
      return { view: { ...view, costUsd: view.costUsd + event.data.costUsd }, observation: none };
    case 'tool.requested': {
      const { callId, tool, input } = event.data;
      const call = { callId, tool, key: keyOf(tool, input), n: event.n };
      return { view: { ...view, pending: new Map(view.pending).set(callId, call) }, observation: { call, changesState: false } };
    }
    case 'tool.completed':
    case 'tool.failed':
    case 'tool.outcome_unknown': {
      const call = view.pending.get(event.data.callId);
      const pending = new Map(view.pending);
      pending.delete(event.data.callId);
      const revision = event.type === 'tool.outcome_unknown' ? undefined : event.data.workspaceRevision;
      const newRevision = revision !== undefined && revision > view.workspaceRevision;
      const changesState = newRevision || (event.type !== 'tool.failed' && changesStateWhenRun(view, event.data.tool));
      return { view: { ...view, pending, workspaceRevision: newRevision ? revision : view.workspaceRevision }, observation: { call, changesState } };
    }
    case 'memory.loaded':
    case 'model.requested':
    case 'permission.granted':
    case 'permission.denied': // its tool.failed answers the call
    case 'approval.requested':
    case 'approval.resolved':
    case 'supervisor.intervened':
    case 'supervisor.gated': // a blocked call's tool.failed answers it
    case 'session.paused':
    case 'budget.exceeded':
    case 'outcome.submitted':
    case 'output.rejected':
    case 'subagent.spawned':
    case 'subagent.completed':
    case 'session.completed':
    case 'message.received':
    case 'turn.completed':
    case 'signal.received':
      return { view, observation: none };
    case 'session.interrupted': // an abandoned call's cost, as far as it was reported
      return { view: { ...view, costUsd: view.costUsd + (event.data.costUsd ?? 0) }, observation: none };
    case 'context.compacted':
      return { view: { ...view, costUsd: view.costUsd + event.data.costUsd }, observation: none };
    default:
      return assertNever(event);
  }
}

function changesStateWhenRun(view: SessionView, tool: string): boolean {
  return view.nonIdempotentTools.includes(tool) || view.stateChangingTools.some((glob) => matchesGlob(tool, glob));
}

function keyOf(tool: string, input: unknown): string {
  // A model's input that is not JSON data is kept as its text by the decider; it still has a key.
  try {
    return callKey(tool, input);
  } catch {
    return `${tool} ${canonicalJson(String(input))}`;
  }
}

function limitsOf(budget: { maxSteps: number; maxCostUsd?: number | undefined; maxWallClockMs?: number | undefined }): ViewBudget {
  return { maxSteps: budget.maxSteps, ...definedOnly({ maxCostUsd: budget.maxCostUsd, maxWallClockMs: budget.maxWallClockMs }) };
}

function definedOnly<T extends Record<string, number | undefined>>(values: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: number };
}
