import type { AgentDefinition } from '@signalbox/events';
import { defaultGateTimeoutMs } from '@signalbox/session';
import type { GatedAgent } from './doctor-gate-checks.ts';

/** The agents whose `supervision.gate` is on, by name. */
export function gatedAgentsOf(agents: readonly AgentDefinition[]): GatedAgent[] {
  const gated = agents.flatMap((agent): GatedAgent[] => {
    const { supervision } = agent;
    if (supervision === undefined || supervision === false || supervision.gate === undefined || supervision.gate === false) return [];
    const settings = supervision.gate === true ? {} : supervision.gate;
    return [{ agent: agent.name, timeoutMs: settings.timeoutMs ?? defaultGateTimeoutMs, onNoAnswer: settings.onNoAnswer ?? 'open' }];
  });
  return gated.sort((a, b) => (a.agent < b.agent ? -1 : 1));
}
