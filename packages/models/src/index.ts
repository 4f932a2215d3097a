export { ModelError } from './provider.ts';
export type { CallOptions, ModelErrorCode, ModelProvider } from './provider.ts';
export { createScriptedProvider } from './scripted.ts';
