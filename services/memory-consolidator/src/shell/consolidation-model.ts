import { endpointPlace, parseModelName, type ModelLookup, type ModelPlace, type ProviderConfig, type ResolvedModel } from '@signalbox/models';
import type { ConsolidationSettings } from '@signalbox/events';

export type ConsolidationModel = { ok: true; model: ResolvedModel; place: ModelPlace } | { ok: false; problem: string };

/**
 * The model a store's consolidation names, resolved as the grader resolves its models, and where its
 * calls go; refused when the store requires a local provider and its endpoint is not on this machine
 * or a private network.
 */
export function consolidationModel(settings: ConsolidationSettings, models: ModelLookup, providers: ProviderConfig['providers']): ConsolidationModel {
  let model: ResolvedModel;
  let provider: string;
  try {
    provider = parseModelName(settings.model).provider;
    model = models(settings.model);
  } catch (error) {
    return { ok: false, problem: `the consolidation model ${settings.model} cannot be used: ${error instanceof Error ? error.message : String(error)}` };
  }
  const place = endpointPlace(provider, providers[provider]);
  if (settings.requireLocalProvider && !place.local) {
    return { ok: false, problem: `the store requires a local provider, and ${settings.model} calls ${place.provider}, which is not this machine or a private network` };
  }
  return { ok: true, model, place };
}
