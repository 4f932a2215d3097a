import type { DreamRun, MemoryChange, MemoryOrigin, MemoryStoreDefinition, MemoryVersion } from '@signalbox/events';

/**
 * What the consolidator does with the memory stores (`sbx-memory`): the methods of the store
 * library's `MemoryStore` it calls, so its logic can be tested without NATS.
 */
export interface MemoryPort {
  definition(store: string): Promise<MemoryStoreDefinition | undefined>;
  definitions(): Promise<MemoryStoreDefinition[]>;
  head(store: string): Promise<MemoryVersion | undefined>;
  versions(store: string): Promise<MemoryVersion[]>;
  propose(store: string, changes: MemoryChange[], origin: MemoryOrigin, now: number): Promise<MemoryVersion>;
  promote(store: string, version: number, by: string, now: number, options?: { heldToo?: boolean }): Promise<MemoryVersion>;
  readSessions(store: string): Promise<Set<string>>;
  markRead(store: string, sessionIds: readonly string[]): Promise<void>;
  recordRun(store: string, run: DreamRun): Promise<void>;
  run(store: string, jobId: string): Promise<DreamRun | undefined>;
}
