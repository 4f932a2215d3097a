import type { Usage } from '@signalbox/events';
import { createProviderRegistry, parseModelName, type ProviderConfig } from './registry.ts';
import type { ModelProvider } from './provider.ts';

/** A model a service calls on its own account (a judge, a grader): the adapter, the model's name as its provider knows it, and what a reply's usage costs. */
export interface ResolvedModel {
  provider: ModelProvider;
  name: string;
  costOf(usage: Usage): number;
}

/** Finds the model a `<provider>/<model>` name means; throws a ModelError when it cannot. */
export type ModelLookup = (model: string) => ResolvedModel;

/**
 * Models from the installation's providers (`SIGNALBOX_PROVIDERS` and the providers' key variables),
 * keyed from the calling service's own environment: an agent's `providerKeySecret` keys its own calls,
 * not those a judge or a grader makes about it.
 */
export function providerModelLookup(config: ProviderConfig): ModelLookup {
  const registry = createProviderRegistry(config);
  return (model) => {
    const { provider, model: name } = parseModelName(model);
    return { provider: registry.providerFor(provider), name, costOf: (usage) => registry.costOf(provider, name, usage).costUsd };
  };
}
