import type { ToolJob } from '@signalbox/events';
import { countRequested, type ActiveState } from './state.ts';

/** A budget limit a step would go past: its name, what it allows, and what the step would bring it to. */
export interface SpentLimit {
  limit: string;
  allowed: number;
  used: number;
}

/** The wall-clock limit, when the log's clock says the session has run longer than it allows. */
export function wallClockSpent(state: ActiveState): SpentLimit | undefined {
  const { maxWallClockMs } = state.budget;
  const used = state.clock.latestAt - state.clock.startedAt;
  return maxWallClockMs !== undefined && used > maxWallClockMs ? { limit: 'maxWallClockMs', allowed: maxWallClockMs, used } : undefined;
}

/**
 * The first tool limit that requesting `calls` would go past: all calls, a tool's own, or calls of
 * tools not safe to run twice. All of a reply's calls are weighed together, so a reply is requested
 * whole or not at all.
 */
export function toolBudgetSpent(state: ActiveState, calls: readonly Pick<ToolJob, 'tool'>[]): SpentLimit | undefined {
  let after = state.requested;
  for (const call of calls) after = countRequested(after, call.tool, state.nonIdempotentTools.includes(call.tool));
  const { maxToolCalls, maxToolCallsPerTool = {}, maxNonIdempotentCalls } = state.budget;
  if (maxToolCalls !== undefined && after.all > maxToolCalls) return { limit: 'maxToolCalls', allowed: maxToolCalls, used: after.all };
  for (const [tool, allowed] of Object.entries(maxToolCallsPerTool)) {
    const used = after.byTool[tool] ?? 0;
    if (used > allowed) return { limit: `maxToolCallsPerTool.${tool}`, allowed, used };
  }
  if (maxNonIdempotentCalls !== undefined && after.nonIdempotent > maxNonIdempotentCalls) {
    return { limit: 'maxNonIdempotentCalls', allowed: maxNonIdempotentCalls, used: after.nonIdempotent };
  }
  return undefined;
}
