import type { Usage } from '@signalbox/events';
import { createProviderRegistry, parseModelName, type ModelProvider, type ProviderConfig } from '@signalbox/models';

/** A grader model: the adapter to call, the model's name as its provider knows it, and what a reply's usage costs. */
export interface GraderModelEntry {
  provider: ModelProvider;
  name: string;
  costOf(usage: Usage): number;
}

/** Finds the model a grade job names (`<provider>/<model>`); throws (a ModelError) when it cannot. */
export type GraderModels = (model: string) => GraderModelEntry;

/**
 * Grader models from the installation's providers (`SIGNALBOX_PROVIDERS` and the providers' key
 * variables), keyed from the grader's own environment: an agent's `providerKeySecret` keys its own
 * calls, not its grader's.
 */
export function registryGraderModels(config: ProviderConfig): GraderModels {
  const registry = createProviderRegistry(config);
  return (model) => {
    const { provider, model: name } = parseModelName(model);
    return { provider: registry.providerFor(provider), name, costOf: (usage) => registry.costOf(provider, name, usage).costUsd };
  };
}
