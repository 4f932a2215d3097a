export { sessionActorService } from './service.ts';
export { openSessionSnapshotStore, SessionSnapshots } from './shell/session-snapshots.ts';
export type { SessionActorOptions } from './service.ts';
export { modelResolver } from './shell/model-caller.ts';
export type { ModelResolver, ResolvedModel } from './shell/model-caller.ts';
