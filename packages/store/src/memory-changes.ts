import { createHash } from 'node:crypto';
import { assertNever, type MemoryAuthor, type MemoryChange, type MemoryDraft, type MemoryEntry, type MemoryOrigin, type MemoryVersion } from '@signalbox/events';

/** An entry's id from what wrote it (a session's call, a consolidation's proposal): the same seed is the same entry, so a write done twice is one. */
export function memoryEntryId(seed: string): string {
  return `m-${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`;
}

/**
 * `entries` with `changes` applied, in order, by `version`: an add whose id is there already is
 * skipped (a redone write), a merge replaces its ids by one entry, a retire removes its entry. What
 * is not there to merge or retire is passed over: the change was made against an older head.
 */
export function applyChanges(entries: readonly MemoryEntry[], changes: readonly MemoryChange[], version: number, author: MemoryAuthor): MemoryEntry[] {
  return changes.reduce<MemoryEntry[]>((applied, change) => applyChange(applied, change, version, author), [...entries]);
}

function applyChange(entries: MemoryEntry[], change: MemoryChange, version: number, author: MemoryAuthor): MemoryEntry[] {
  switch (change.kind) {
    case 'add':
      return entries.some(({ id }) => id === change.id) ? entries : [...entries, entryOf(change.id, change.draft, version, author)];
    case 'merge': {
      const replaced = new Set([...change.ids, change.id]);
      return [...entries.filter(({ id }) => !replaced.has(id)), entryOf(change.id, change.draft, version, author)];
    }
    case 'retire':
      return entries.filter(({ id }) => id !== change.id);
    default:
      return assertNever(change);
  }
}

function entryOf(id: string, draft: MemoryDraft, version: number, writtenBy: MemoryAuthor): MemoryEntry {
  return { id, text: draft.text, scope: draft.scope, confidence: draft.confidence, evidence: draft.evidence, writtenBy, addedIn: version, flags: [] };
}

/** What `after` holds that `before` did not, and the reverse, by entry id (a merge is its ids removed and one added). */
export function diffVersions(before: MemoryVersion | undefined, after: MemoryVersion): { added: MemoryEntry[]; removed: MemoryEntry[] } {
  const beforeIds = new Set(before?.entries.map(({ id }) => id));
  const afterIds = new Set(after.entries.map(({ id }) => id));
  return {
    added: after.entries.filter(({ id }) => !beforeIds.has(id)),
    removed: (before?.entries ?? []).filter(({ id }) => !afterIds.has(id)),
  };
}

/** Who the entries a version adds were written by: the session that wrote, the consolidation (this version), or the person who rolled back. */
export function authorOf(origin: MemoryOrigin, version: number): MemoryAuthor {
  switch (origin.kind) {
    case 'write':
      return { kind: 'session', sessionId: origin.sessionId, event: origin.event };
    case 'consolidation':
      return { kind: 'consolidation', version, provider: origin.provider };
    case 'rollback':
      return { kind: 'person', name: origin.by };
    default:
      return assertNever(origin);
  }
}

/**
 * `version` made again from `parent` (undefined: the empty store): its changes applied to the
 * parent's entries. A rollback keeps its entries, which are another version's as they were.
 */
export function rebaseVersion(version: MemoryVersion, parent: MemoryVersion | undefined): MemoryVersion {
  const parentNumber = parent?.version ?? 0;
  if (version.origin.kind === 'rollback') return { ...version, parent: parentNumber };
  const entries = applyChanges(parent?.entries ?? [], version.changes, version.version, authorOf(version.origin, version.version));
  return { ...version, parent: parentNumber, entries };
}
