export { ConcurrencyError, DuplicateEventError, IncompleteReadError, SequenceGapError } from './errors.ts';
export { emptyHead, EventStore } from './event-store.ts';
export type { ReadOptions, SessionHead } from './event-store.ts';
export { provision, streamConfigs } from './provision.ts';
export type { ProvisionOptions } from './provision.ts';
export { isAtLeast, requireSupportedServer, serverFeatures, serverFloor, UnsupportedServerError } from './server-floor.ts';
export { SnapshotStore } from './snapshot-store.ts';
export type { Snapshot, SnapshotStoreOptions } from './snapshot-store.ts';
export { MissingTranscriptError, transcriptChunkSize, TranscriptStore } from './transcript-store.ts';
