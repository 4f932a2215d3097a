import type { AgentDefinition } from '@signalbox/events';
import { parseModelName } from '@signalbox/models';

/** What an agent will meet where it runs: the model providers configured, the tools no executor has advertised, the policies stored. */
export interface AgentSurroundings {
  providers: readonly string[];
  unadvertisedTools: ReadonlySet<string>;
  policies: ReadonlySet<string>;
}

/**
 * What would keep an agent's sessions from running, each with what to do: a model whose provider is
 * not configured (its sessions fail at their first model call), a tool no executor has advertised
 * (its tasks are dead-lettered until one has), a policy not stored (the broker denies its tool calls), a stalled timer too short for its re-drive to re-send tool jobs.
 */
export function agentWarnings(agent: AgentDefinition, surroundings: AgentSurroundings): string[] {
  const warnings: string[] = [];
  const { provider } = parseModelName(agent.model);
  if (provider !== 'scripted' && !surroundings.providers.includes(provider)) {
    warnings.push(
      `agent "${agent.name}": model "${agent.model}" names provider "${provider}", which is not configured here ` +
        `(${[...surroundings.providers].sort().join(', ')}): add it to SIGNALBOX_PROVIDERS where the session actors run, or its sessions fail at their first model call`,
    );
  }
  for (const tool of agent.tools.filter((name) => surroundings.unadvertisedTools.has(name))) {
    warnings.push(
      `agent "${agent.name}": no executor has advertised tool "${tool}": start a tool executor that offers it, or tasks for this agent are dead-lettered until one does`,
    );
  }
  if (agent.policy !== undefined && !surroundings.policies.has(agent.policy)) {
    warnings.push(
      `agent "${agent.name}": policy "${agent.policy}" is not stored: apply it with \`signalbox policies apply -f <file>\`, or the permission broker denies every tool call of its sessions`,
    );
  }
  const stalledAfterMs = agent.supervision === false ? undefined : agent.supervision?.stalled?.afterMs;
  if (stalledAfterMs !== undefined && stalledAfterMs < jobsDuplicateWindowMs) {
    warnings.push(
      `agent "${agent.name}": supervision.stalled.afterMs ${stalledAfterMs} is under the jobs stream's duplicate window (${jobsDuplicateWindowMs} ms): ` +
        `a stalled session's tool jobs dispatched again that soon are dropped as duplicates, so its re-drive re-does nothing; set it to ${jobsDuplicateWindowMs} or more`,
    );
  }
  return warnings;
}

/** As provisioned (@signalbox/store): a tool job's message id is its idempotency key, so a second one within this is dropped. */
const jobsDuplicateWindowMs = 120_000;
