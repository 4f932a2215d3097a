import type { AgentDefinition, MemoryStoreDefinition, MemoryVersion } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/** An agent with a memory store, and what of it the bucket holds. */
export interface AgentMemoryFact {
  agent: string;
  store: string;
  /** The store's agents; absent when no store of that name is defined. */
  storeAgents?: string[];
  /** The agent's own policy, which must allow the memory tools; absent when it has none (its listed tools, and them, are allowed). */
  policy?: string;
  /** The version the agent pins instead of the head, and its state in the store (absent: no such version). */
  pinned?: { version: number; state?: MemoryVersion['state'] };
}

export function agentMemoryFactsOf(agents: readonly AgentDefinition[], stores: readonly MemoryStoreDefinition[]): AgentMemoryFact[] {
  return agents.flatMap(({ name, memory, policy }) => {
    if (!memory) return [];
    const store = stores.find((definition) => definition.name === memory.store);
    const pinned = memory.version === undefined ? {} : { pinned: { version: memory.version } };
    return [{ agent: name, store: memory.store, ...(store ? { storeAgents: store.agents } : {}), ...(policy ? { policy } : {}), ...pinned }];
  });
}

/** The facts with the state of each version an agent pins, read through `stateOf` (undefined: the store has no such version). */
export async function withPinnedStates(facts: readonly AgentMemoryFact[], stateOf: (store: string, version: number) => Promise<MemoryVersion['state'] | undefined>): Promise<AgentMemoryFact[]> {
  return Promise.all(
    facts.map(async (fact) => {
      if (!fact.pinned) return fact;
      const state = await stateOf(fact.store, fact.pinned.version);
      return { ...fact, pinned: { version: fact.pinned.version, ...(state ? { state } : {}) } };
    }),
  );
}

/**
 * Agents whose memory cannot work: a store nobody defined, or one that does not name them (its
 * sessions then load nothing and their writes fail), and a reminder where their own policy decides
 * the memory tools.
 */
export function agentMemoryFindings(facts: readonly AgentMemoryFact[]): Finding[] {
  return facts.flatMap(({ agent, store, storeAgents, policy, pinned }): Finding[] => {
    if (storeAgents === undefined) {
      return [{ level: 'warn', message: `agent ${agent} uses memory store "${store}", which is not defined: its sessions load nothing and their memory.write fails. Define it: signalbox memory apply -f <file> (name: ${store}, agents: [${agent}])` }];
    }
    if (!storeAgents.includes(agent)) {
      return [{ level: 'warn', message: `agent ${agent} uses memory store "${store}", whose agents (${storeAgents.join(', ')}) do not include it: its sessions load nothing and their memory.write fails. Add it to the store's agents, or give it a store of its own` }];
    }
    if (pinned && pinned.state === undefined) {
      return [{ level: 'warn', message: `agent ${agent} pins version ${pinned.version} of memory store "${store}", which has no such version: its sessions load nothing and memory.search fails. See signalbox memory list ${store}, and fix or drop memory.version` }];
    }
    const ruled = policy === undefined ? '' : `; its policy ${policy} decides memory.search and memory.write like any tool: allow them there`;
    const uses = pinned ? `loads version ${pinned.version} (${pinned.state ?? ''}) of memory store "${store}" rather than its head, and writes on top of the head` : `loads and writes memory store "${store}"`;
    return [{ level: 'ok', message: `agent ${agent} ${uses}${ruled}` }];
  });
}
