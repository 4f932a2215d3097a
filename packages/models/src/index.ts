export { createAnthropicProvider } from './anthropic.ts';
export type { AnthropicProviderOptions } from './anthropic.ts';
export { createOpenAIProvider } from './openai.ts';
export type { OpenAIProviderOptions } from './openai.ts';
export { costOf, listPrices, ModelPrice, PriceOverrides, priceOf } from './pricing.ts';
export type { Cost } from './pricing.ts';
export { endpointPlace, isPrivateHost } from './endpoint-place.ts';
export type { ModelPlace } from './endpoint-place.ts';
export { ModelError } from './provider.ts';
export type { CallOptions, ModelErrorCode, ModelProvider } from './provider.ts';
export {
  createProviderRegistry,
  parseModelName,
  ProviderConfig,
  ProviderConfigError,
  providerConfigFromEnv,
  ProviderEndpoint,
} from './registry.ts';
export type { ProviderRegistry, VaultProviderKey } from './registry.ts';
export { providerModelLookup } from './model-lookup.ts';
export type { ModelLookup, ResolvedModel } from './model-lookup.ts';
export { redactSecrets } from './redaction.ts';
export { checkResponseFormat, maxSchemaBytes, maxSchemaDepth } from './response-format.ts';
export { createReplayProvider } from './replay.ts';
export { createScriptedProvider } from './scripted.ts';
export { decodeToolName, encodeToolName } from './tool-names.ts';
export { fitsStrictMode } from './openai-strict.ts';
