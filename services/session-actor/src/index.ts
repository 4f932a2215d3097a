export { decide, maxModelAttempts } from './core/decide.ts';
export type { Decision, SessionCommand, SessionEffect } from './core/decide.ts';
export { evolve, fold, initialState, sessionStateVersion } from './core/state.ts';
export type { SessionState } from './core/state.ts';
export { requestDigest } from './core/model-request.ts';
export { sessionActorService } from './service.ts';
export type { SessionActorOptions } from './service.ts';
export { modelResolver, modelResolverFromEnv } from './shell/model-caller.ts';
export type { ModelResolver, ResolvedModel } from './shell/model-caller.ts';
