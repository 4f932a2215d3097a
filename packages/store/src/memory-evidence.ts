import { assertNever, type MemoryChange, type MemoryEntry, type MemoryEvidence, type MemoryVersion } from '@signalbox/events';

/**
 * `version` without the evidence of a deleted session, or undefined when it cites none. Entries that
 * cited it, or that it wrote, are flagged `evidence-deleted`: what they say stays (the store's, not the
 * session's), and a person can see it is no longer backed and retire it. The session's id stays where
 * it names an author or an origin: an id is no content, and the deletion report names it too.
 */
export function withoutSession(version: MemoryVersion, sessionId: string): MemoryVersion | undefined {
  const entries = version.entries.map((entry) => entryWithout(entry, sessionId));
  const changes = version.changes.map((change) => changeWithout(change, sessionId));
  const changed = entries.some((entry, index) => entry !== version.entries[index]) || changes.some((change, index) => change !== version.changes[index]);
  return changed ? { ...version, entries, changes } : undefined;
}

function entryWithout(entry: MemoryEntry, sessionId: string): MemoryEntry {
  const wrote = entry.writtenBy.kind === 'session' && entry.writtenBy.sessionId === sessionId;
  if (!wrote && !cites(entry.evidence, sessionId)) return entry;
  if (entry.flags.includes('evidence-deleted') && !cites(entry.evidence, sessionId)) return entry;
  return { ...entry, evidence: evidenceWithout(entry.evidence, sessionId), flags: ['evidence-deleted'] };
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

function cites(evidence: readonly MemoryEvidence[], sessionId: string): boolean {
  return evidence.some((item) => item.sessionId === sessionId);
}

function evidenceWithout(evidence: readonly MemoryEvidence[], sessionId: string): MemoryEvidence[] {
  return evidence.filter((item) => item.sessionId !== sessionId);
}
