import { z } from 'zod';
import { AgentName, ModelName, SessionId } from './ids.ts';

/** Names a memory store: one subject token and one key token of the `sbx-memory` bucket. */
export const MemoryStoreName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a memory store name is lower-case letters, digits, "-" and "_", starting with a letter or digit');
export type MemoryStoreName = z.infer<typeof MemoryStoreName>;

/** Names an entry: `m-` and 16 hex digits, derived from what wrote it, so a write done twice is one entry. */
export const MemoryEntryId = z.string().regex(/^m-[0-9a-f]{16}$/, 'a memory entry id is "m-" and 16 hex digits');
export type MemoryEntryId = z.infer<typeof MemoryEntryId>;

export const maxMemoryTextChars = 2_000;
/** Entries one version of a store may hold: a version is one value in the bucket. */
export const maxMemoryEntries = 2_000;

/** Events of one session that support an entry. */
export const MemoryEvidence = z.strictObject({
  sessionId: SessionId,
  events: z.array(z.number().int().min(1)).min(1).max(50),
});
export type MemoryEvidence = z.infer<typeof MemoryEvidence>;

/** Who loads an entry: every agent of the store (`team`), or one of them. */
export const MemoryScope = z.union([z.literal('team'), z.strictObject({ agent: AgentName })]);
export type MemoryScope = z.infer<typeof MemoryScope>;

/** Who wrote an entry: a session during its run (at its `tool.requested` event), a consolidation, or a person. */
export const MemoryAuthor = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('session'), sessionId: SessionId, event: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('consolidation'), version: z.number().int().min(1), provider: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('person'), name: z.string().min(1).max(200) }),
]);
export type MemoryAuthor = z.infer<typeof MemoryAuthor>;

/** What an entry says and why, as a consolidation or a person proposes it. */
export const MemoryDraft = z.strictObject({
  text: z.string().trim().min(1).max(maxMemoryTextChars),
  scope: MemoryScope.default('team'),
  confidence: z.number().min(0).max(1).default(0.5),
  evidence: z.array(MemoryEvidence).max(20).default([]),
});
export type MemoryDraft = z.infer<typeof MemoryDraft>;

export const MemoryEntry = z.strictObject({
  id: MemoryEntryId,
  text: z.string().min(1).max(maxMemoryTextChars),
  scope: MemoryScope,
  confidence: z.number().min(0).max(1),
  evidence: z.array(MemoryEvidence).max(20),
  writtenBy: MemoryAuthor,
  /** The store version that added it. */
  addedIn: z.number().int().min(1),
  /** `evidence-deleted`: a session it cited was deleted, and its evidence with it. */
  flags: z.array(z.literal('evidence-deleted')).max(1).default([]),
});
export type MemoryEntry = z.infer<typeof MemoryEntry>;

/** One change a version makes to its parent; `held` says why only a person may promote it. */
export const MemoryChange = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('add'), id: MemoryEntryId, draft: MemoryDraft, held: z.string().optional() }),
  /** Replaces `ids` by one entry. */
  z.strictObject({ kind: z.literal('merge'), id: MemoryEntryId, ids: z.array(MemoryEntryId).min(2).max(50), draft: MemoryDraft, held: z.string().optional() }),
  z.strictObject({ kind: z.literal('retire'), id: MemoryEntryId, reason: z.string().min(1).max(maxMemoryTextChars), evidence: z.array(MemoryEvidence).max(20).default([]), held: z.string().optional() }),
]);
export type MemoryChange = z.infer<typeof MemoryChange>;

/** What made a version. */
export const MemoryOrigin = z.discriminatedUnion('kind', [
  /** An agent's `memory.write` during a run. */
  z.strictObject({ kind: z.literal('write'), sessionId: SessionId, event: z.number().int().min(1) }),
  /** A consolidation ("dreaming") of finished sessions, by the model `model` of `provider`. */
  z.strictObject({
    kind: z.literal('consolidation'),
    jobId: z.string().min(1).max(200),
    provider: z.string().min(1).max(200),
    model: ModelName,
    /** The sessions whose transcripts it read. */
    sessions: z.array(SessionId).max(100),
  }),
  z.strictObject({ kind: z.literal('rollback'), to: z.number().int().min(0), by: z.string().min(1).max(200) }),
]);
export type MemoryOrigin = z.infer<typeof MemoryOrigin>;

/**
 * One version of a store, kept whole (`entries`) beside the changes that made it from `parent`.
 * Versions are never edited but to promote one or to strip a deleted session's evidence.
 */
export const MemoryVersion = z.strictObject({
  store: MemoryStoreName,
  version: z.number().int().min(1),
  /** The version it changes (0: the empty store). */
  parent: z.number().int().min(0),
  state: z.enum(['proposed', 'promoted', 'rejected']),
  origin: MemoryOrigin,
  changes: z.array(MemoryChange).max(maxMemoryEntries),
  entries: z.array(MemoryEntry).max(maxMemoryEntries),
  createdAt: z.number().int(),
  promoted: z.strictObject({ by: z.string().min(1).max(200), at: z.number().int() }).optional(),
  /** Who rejected a proposed version, and when. */
  rejected: z.strictObject({ by: z.string().min(1).max(200), at: z.number().int() }).optional(),
});
export type MemoryVersion = z.infer<typeof MemoryVersion>;

/** Which finished sessions a consolidation may read. */
export const MemoryReads = z.strictObject({
  /** The agents whose sessions are read (the store's agents unless set). */
  agents: z.array(AgentName).max(50).optional(),
  /** Only sessions whose task metadata has each of these values. */
  metadata: z.record(z.string(), z.string()).optional(),
});
export type MemoryReads = z.infer<typeof MemoryReads>;

/** How and when a store is consolidated ("dreaming"). */
export const ConsolidationSettings = z.strictObject({
  /** The model that reads the transcripts: any provider, `<provider>/<model>`. */
  model: ModelName,
  /** Sessions read per consolidation, the latest finished first. */
  sessions: z.number().int().min(1).max(100).default(100),
  /** Consolidate on this schedule (a durable timer), besides on demand. */
  everyMs: z.number().int().min(60_000).optional(),
  reads: MemoryReads.default({}),
  /** Refuse a model whose endpoint is not on this machine or a private network (or `scripted`). */
  requireLocalProvider: z.boolean().default(false),
});
export type ConsolidationSettings = z.infer<typeof ConsolidationSettings>;

/** A memory store: applied with `signalbox memory apply -f`, kept in `sbx-memory` under `<name>.definition`. */
export const MemoryStoreDefinition = z.strictObject({
  name: MemoryStoreName,
  /** The agents that load and write it: one for an agent's own store, several for a team's. */
  agents: z.array(AgentName).min(1).max(50),
  /** `auto`: a consolidation's changes are promoted at once, but those held for a person; `review`: a person promotes every version. */
  promotion: z.enum(['auto', 'review']).default('review'),
  consolidation: ConsolidationSettings.optional(),
});
export type MemoryStoreDefinition = z.infer<typeof MemoryStoreDefinition>;

/** An agent's memory: the store it loads at a session's start and reads and writes with `memory.search` and `memory.write`. */
export const MemorySettings = z.strictObject({
  store: MemoryStoreName,
  /** Entries loaded into a new session's context, the most relevant to its task first. */
  load: z.number().int().min(0).max(50).default(8),
  /**
   * Load and search this version of the store, not its head (promoted or not: an eval compares a proposed
   * version with the head this way). Writes still go on top of the head.
   */
  version: z.number().int().min(1).optional(),
});
export type MemorySettings = z.infer<typeof MemorySettings>;

/** A consolidation asked for: on `sbx.jobs.dream`, by `signalbox dream`, or by the store's schedule. */
export const DreamJob = z.strictObject({
  jobId: z.string().min(1).max(200).regex(/^[A-Za-z0-9_:.-]+$/),
  store: MemoryStoreName,
  /** At most this many sessions (the store's `consolidation.sessions` unless set). */
  sessions: z.number().int().min(1).max(100).optional(),
  by: z.string().min(1).max(200),
});
export type DreamJob = z.infer<typeof DreamJob>;

/**
 * What a dream job did, kept in `sbx-memory` for `signalbox dream` to wait on: `done` (the versions it
 * proposed, promoted at once with `auto` promotion), `nothing-to-read` (no finished session it had not
 * read), or `failed` with the error.
 */
export const DreamRun = z.strictObject({
  jobId: DreamJob.shape.jobId,
  store: MemoryStoreName,
  status: z.enum(['done', 'nothing-to-read', 'failed']),
  versions: z.array(z.number().int().min(1)).max(100),
  /** Sessions whose transcripts it read. */
  sessions: z.number().int().min(0),
  error: z.string().max(maxMemoryTextChars).optional(),
  at: z.number().int(),
});
export type DreamRun = z.infer<typeof DreamRun>;

/** `memory.search`: entries of the agent's store most relevant to `query`. */
export const MemorySearchInput = z.strictObject({
  query: z.string().trim().min(1).max(1_000),
  limit: z.number().int().min(1).max(20).default(5),
});
export type MemorySearchInput = z.infer<typeof MemorySearchInput>;

/** `memory.write`: something learned, kept in the agent's store with this call as its evidence. */
export const MemoryWriteInput = z.strictObject({
  text: z.string().trim().min(1).max(maxMemoryTextChars),
  /** `agent`: only this agent loads it; `team` (the default): every agent of the store. */
  scope: z.enum(['agent', 'team']).default('team'),
  confidence: z.number().min(0).max(1).default(0.7),
});
export type MemoryWriteInput = z.infer<typeof MemoryWriteInput>;
