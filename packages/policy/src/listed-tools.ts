import type { AgentDefinition } from '@signalbox/events';
import type { Policy } from '@signalbox/events';

/**
 * The policy of an agent that names none, made explicit: each tool it lists is allowed (and may be
 * passed to its child sessions), anything else denied, as before policies existed.
 */
export function listedToolsPolicy(agent: Pick<AgentDefinition, 'name' | 'tools'>): Policy {
  return {
    name: `${agent.name}-listed-tools`,
    // Tool names are dotted lower-case words (ToolName): none holds a glob character.
    rules: agent.tools.map((tool) => ({ effect: 'allow', tool, delegable: true })),
    default: 'deny',
  };
}
