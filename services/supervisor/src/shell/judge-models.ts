import type { Usage } from '@signalbox/events';
import { createProviderRegistry, parseModelName, type ModelProvider, type ProviderConfig } from '@signalbox/models';

/** A judge's model: the adapter to call, the model's name as its provider knows it, and what a reply's usage costs. */
export interface JudgeModel {
  provider: ModelProvider;
  name: string;
  costOf(usage: Usage): number;
}

/** Finds the model an agent's `supervision.judge.model` names (`<provider>/<model>`); throws a ModelError when it cannot. */
export type JudgeModels = (model: string) => JudgeModel;

/**
 * Judges' models from the installation's providers (`SIGNALBOX_PROVIDERS` and the providers' key
 * variables), keyed from the supervisor's environment: an agent's `providerKeySecret` keys its own
 * calls, not its judge's.
 */
export function registryJudgeModels(config: ProviderConfig): JudgeModels {
  const registry = createProviderRegistry(config);
  return (model) => {
    const { provider, model: name } = parseModelName(model);
    return { provider: registry.providerFor(provider), name, costOf: (usage) => registry.costOf(provider, name, usage).costUsd };
  };
}
