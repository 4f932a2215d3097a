import type { AgentDefinition, Budget } from '@signalbox/events';

/** The most each budget limit may be set to by a task or a resume: the installation's, or an agent's own `budgetCeiling`. */
export interface BudgetCeiling {
  maxSteps: number;
  maxCostUsd: number;
}

/** The limits a task or a resume asks for, each optional. */
export type RequestedLimits = Partial<Pick<Budget, 'maxSteps' | 'maxCostUsd'>>;

const limits = ['maxSteps', 'maxCostUsd'] as const;

/**
 * Why `requested` may not be set on a session of `agent`, or undefined when it may. A limit may be
 * lowered freely and raised to the agent's own limit or its ceiling, whichever is higher: the
 * agent's `budgetCeiling` where it sets that limit, else the installation's. Refused, not clamped:
 * a session that silently stops earlier than its caller asked is harder to explain than an error.
 */
export function budgetOverCeiling(requested: RequestedLimits, agent: AgentDefinition, installation: BudgetCeiling): string | undefined {
  for (const limit of limits) {
    const asked = requested[limit];
    if (asked === undefined) continue;
    const own = agent.budget[limit] ?? 0;
    const ceiling = agent.budgetCeiling?.[limit];
    const allowed = Math.max(own, ceiling ?? installation[limit]);
    if (asked <= allowed) continue;
    const source = ceiling === undefined ? "the installation's ceiling" : `agent "${agent.name}"'s budgetCeiling`;
    const why = allowed === own && own > (ceiling ?? installation[limit]) ? `agent "${agent.name}"'s own budget` : source;
    return `${limit} ${asked} is over the ceiling: agent "${agent.name}" allows at most ${allowed} (${why})`;
  }
  return undefined;
}
