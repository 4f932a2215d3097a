import { createHash } from 'node:crypto';
import { assertNever, type MemoryAuthor, type MemoryChange, type MemoryEntry, type MemoryEvidence, type MemoryOrigin, type MemoryVersion } from '@signalbox/events';

/**
 * What a deleted session is called in memory from then on: `deleted-` and 16 hex of its id's sha256.
 * The same for every store and every run of the hook (so deleting again changes nothing), and the
 * entries one session wrote still read as one author's; but not its id, which a deletion removes
 * everywhere (a person may have chosen it: `customer-42`).
 */
export function deletedSessionAlias(sessionId: string): string {
  return `deleted-${createHash('sha256').update(sessionId).digest('hex').slice(0, 16)}`;
}

/**
 * `version` without a deleted session, or undefined when it names none. Its evidence goes; entries
 * that cited it or that it wrote are flagged `evidence-deleted`, what they say staying (knowledge of
 * the store, which a person can see is no longer backed, and retire); where it names an author or an
 * origin, its alias stands for it.
 */
export function withoutSession(version: MemoryVersion, sessionId: string): MemoryVersion | undefined {
  const alias = deletedSessionAlias(sessionId);
  const entries = version.entries.map((entry) => entryWithout(entry, sessionId, alias));
  const changes = version.changes.map((change) => changeWithout(change, sessionId));
  const origin = originWithout(version.origin, sessionId, alias);
  const promoted = version.promoted?.by === `session:${sessionId}` ? { ...version.promoted, by: `session:${alias}` } : version.promoted;
  const changed = origin !== version.origin || promoted !== version.promoted || entries.some((entry, index) => entry !== version.entries[index]) || changes.some((change, index) => change !== version.changes[index]);
  return changed ? { ...version, origin, entries, changes, ...(promoted ? { promoted } : {}) } : undefined;
}

function entryWithout(entry: MemoryEntry, sessionId: string, alias: string): MemoryEntry {
  const wrote = wroteIt(entry.writtenBy, sessionId);
  if (!wrote && !cites(entry.evidence, sessionId)) return entry;
  const writtenBy = wrote && entry.writtenBy.kind === 'session' ? { ...entry.writtenBy, sessionId: alias } : entry.writtenBy;
  return { ...entry, writtenBy, evidence: evidenceWithout(entry.evidence, sessionId), flags: ['evidence-deleted'] };
}

function wroteIt(author: MemoryAuthor, sessionId: string): boolean {
  return author.kind === 'session' && author.sessionId === sessionId;
}

function changeWithout(change: MemoryChange, sessionId: string): MemoryChange {
  switch (change.kind) {
    case 'add':
    case 'merge':
      return cites(change.draft.evidence, sessionId) ? { ...change, draft: { ...change.draft, evidence: evidenceWithout(change.draft.evidence, sessionId) } } : change;
    case 'retire':
      return cites(change.evidence, sessionId) ? { ...change, evidence: evidenceWithout(change.evidence, sessionId) } : change;
    default:
      return assertNever(change);
  }
}

function originWithout(origin: MemoryOrigin, sessionId: string, alias: string): MemoryOrigin {
  switch (origin.kind) {
    case 'write':
      return origin.sessionId === sessionId ? { ...origin, sessionId: alias } : origin;
    case 'consolidation':
      return origin.sessions.includes(sessionId) ? { ...origin, sessions: origin.sessions.map((id) => (id === sessionId ? alias : id)) } : origin;
    case 'rollback':
      return origin;
    default:
      return assertNever(origin);
  }
}

function cites(evidence: readonly MemoryEvidence[], sessionId: string): boolean {
  return evidence.some((item) => item.sessionId === sessionId);
}

function evidenceWithout(evidence: readonly MemoryEvidence[], sessionId: string): MemoryEvidence[] {
  return evidence.filter((item) => item.sessionId !== sessionId);
}
