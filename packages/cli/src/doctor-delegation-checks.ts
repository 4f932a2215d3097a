import { sessionToolNames, type AgentDefinition } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/**
 * Leads whose delegations cannot work as written: a specialist that is not defined (each call to it
 * fails), or, for a lead without a policy of its own, a specialist's tools the lead does not list
 * (a lead passes on only what it may use, so those calls are denied). A lead with a policy passes on its
 * `delegable` grants, which doctor does not second-guess.
 */
export function delegationFindings(agents: readonly AgentDefinition[]): Finding[] {
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  return agents.flatMap((lead): Finding[] => {
    if (lead.subagents.length === 0) return [];
    const missing = lead.subagents.filter((name) => !byName.has(name));
    const passable = new Set(sessionToolNames(lead));
    const withheld = lead.policy === undefined ? lead.subagents.flatMap((name) => (byName.get(name)?.tools ?? []).filter((tool) => !passable.has(tool)).map((tool) => `${name}: ${tool}`)) : [];
    const findings: Finding[] = [];
    if (missing.length > 0) findings.push({ level: 'warn', message: `agent ${lead.name} may delegate to ${missing.join(', ')}, which no definition names: each such delegation fails. Apply them (signalbox agents apply -f <file>) or remove them from its subagents` });
    if (withheld.length > 0) findings.push({ level: 'warn', message: `agent ${lead.name} lists no policy, so it passes its specialists only the tools it lists; these will be denied to them: ${withheld.join(', ')}. List them in ${lead.name}'s tools, or give it a policy with delegable rules` });
    if (findings.length === 0) findings.push({ level: 'ok', message: `agent ${lead.name} delegates to ${lead.subagents.join(', ')}` });
    return findings;
  });
}
