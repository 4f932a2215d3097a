import type { AgentDefinition, MemoryStoreDefinition } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/** An agent with a memory store, and what of it the bucket holds. */
export interface AgentMemoryFact {
  agent: string;
  store: string;
  /** The store's agents; absent when no store of that name is defined. */
  storeAgents?: string[];
  /** The agent's own policy, which must allow the memory tools; absent when it has none (its listed tools, and them, are allowed). */
  policy?: string;
}

export function agentMemoryFactsOf(agents: readonly AgentDefinition[], stores: readonly MemoryStoreDefinition[]): AgentMemoryFact[] {
  return agents.flatMap(({ name, memory, policy }) => {
    if (!memory) return [];
    const store = stores.find((definition) => definition.name === memory.store);
    return [{ agent: name, store: memory.store, ...(store ? { storeAgents: store.agents } : {}), ...(policy ? { policy } : {}) }];
  });
}

/**
 * Agents whose memory cannot work: a store nobody defined, or one that does not name them (its
 * sessions then load nothing and their writes fail), and a reminder where their own policy decides
 * the memory tools.
 */
export function agentMemoryFindings(facts: readonly AgentMemoryFact[]): Finding[] {
  return facts.flatMap(({ agent, store, storeAgents, policy }): Finding[] => {
    if (storeAgents === undefined) {
      return [{ level: 'warn', message: `agent ${agent} uses memory store "${store}", which is not defined: its sessions load nothing and their memory.write fails. Define it: signalbox memory apply -f <file> (name: ${store}, agents: [${agent}])` }];
    }
    if (!storeAgents.includes(agent)) {
      return [{ level: 'warn', message: `agent ${agent} uses memory store "${store}", whose agents (${storeAgents.join(', ')}) do not include it: its sessions load nothing and their memory.write fails. Add it to the store's agents, or give it a store of its own` }];
    }
    const ruled = policy === undefined ? '' : `; its policy ${policy} decides memory.search and memory.write like any tool: allow them there`;
    return [{ level: 'ok', message: `agent ${agent} loads and writes memory store "${store}"${ruled}` }];
  });
}
