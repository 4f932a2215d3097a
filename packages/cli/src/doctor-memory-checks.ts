import type { MemoryStoreDefinition } from '@signalbox/events';
import { endpointPlace, parseModelName } from '@signalbox/models';
import type { RuntimeConfig } from '@signalbox/runtime';
import type { Finding } from './doctor-checks.ts';
import { providerReadiness, type JudgeFact } from './doctor-judge-checks.ts';

/** A memory store as doctor judges it: the agents it names that are not stored, and its consolidation model as this environment can call it. */
export interface MemoryStoreFact {
  store: string;
  unknownAgents: string[];
  consolidation?: {
    model: string;
    provider: JudgeFact['provider'];
    requireLocalProvider: boolean;
    /** Where its calls go: this machine or a private network, and the host. */
    local: boolean;
    calls: string;
  };
}

/** The stored memory stores, checked against the stored agents and this environment's providers. */
export function memoryFactsOf(definitions: readonly MemoryStoreDefinition[], agents: readonly string[], providers: RuntimeConfig['models']['providers']): MemoryStoreFact[] {
  const known = new Set(agents);
  return definitions.map(({ name, agents: named, consolidation }) => {
    const fact: MemoryStoreFact = { store: name, unknownAgents: named.filter((agent) => !known.has(agent)) };
    if (!consolidation) return fact;
    const provider = parseModelName(consolidation.model).provider;
    const place = endpointPlace(provider, providers[provider]);
    return { ...fact, consolidation: { model: consolidation.model, provider: providerReadiness(consolidation.model, providers), requireLocalProvider: consolidation.requireLocalProvider, local: place.local, calls: place.provider } };
  });
}

/**
 * Memory stores that cannot be consolidated as defined: a model this environment cannot call (the
 * consolidator records every dream job of the store as failed), a model whose calls leave the machine
 * while the store requires a local provider (refused), agents that do not exist (their sessions never come).
 */
export function memoryFindings(stores: readonly MemoryStoreFact[]): Finding[] {
  return stores.flatMap(({ store, unknownAgents, consolidation }): Finding[] => {
    const findings: Finding[] = [];
    if (unknownAgents.length > 0) {
      findings.push({ level: 'warn', message: `Memory store ${store} names agents that do not exist: ${unknownAgents.join(', ')}. Apply them, or remove them from the store (\`signalbox memory apply -f\`).` });
    }
    if (!consolidation) return findings;
    const { model, provider, requireLocalProvider, local, calls } = consolidation;
    if (provider === 'missing') {
      findings.push({ level: 'warn', message: `Memory store ${store} is consolidated by ${model}, and no such provider is configured here: consolidators started like this fail its dream jobs. Add it to SIGNALBOX_PROVIDERS, or name another model.` });
    } else if (provider === 'unkeyed') {
      findings.push({ level: 'warn', message: `Memory store ${store} is consolidated by ${model}, whose provider has no API key here: consolidators started like this fail its dream jobs. Set its key variable for the memory consolidator.` });
    }
    if (requireLocalProvider && !local) {
      findings.push({ level: 'error', message: `Memory store ${store} requires a local provider, and its model ${model} calls ${calls}, which is not this machine or a private network: the consolidator refuses every dream job of it. Name a local model (an openai-compatible endpoint on a private address), or drop requireLocalProvider.` });
    }
    return findings;
  });
}
