import { assertNever, type DreamRun, type MemoryChange, type MemoryEntry, type MemoryEvidence, type MemoryOrigin, type MemoryStoreDefinition, type MemoryVersion } from '@signalbox/events';

/** A store as `memory list` shows it: its definition, its head, and the proposals waiting for a person. */
export interface StoreSummary {
  definition: MemoryStoreDefinition;
  head: MemoryVersion | undefined;
  waiting: number;
}

/** One line a store: name, head version, entries, proposals waiting, how it is promoted and who uses it. */
export function storeLines(stores: readonly StoreSummary[]): string[] {
  if (stores.length === 0) return ['no memory stores yet: define one with `signalbox memory apply -f <file>`'];
  const width = Math.max(...stores.map(({ definition }) => definition.name.length));
  return stores.map(({ definition, head, waiting }) => {
    const at = head ? `version ${head.version}, ${head.entries.length} entries` : 'empty';
    return `${definition.name.padEnd(width)}  ${at}, ${waiting} waiting for review  (${definition.promotion}; agents ${definition.agents.join(', ')})`;
  });
}

/** A version as a row of `memory list <store>`, and as its JSON (without its entries). */
export function versionSummary(version: MemoryVersion, head: number | undefined) {
  const { store, version: number, parent, state, origin, changes, createdAt, promoted, rejected } = version;
  return { store, version: number, parent, state, head: number === head, origin, changes: changes.length, held: heldCount(version), createdAt, entries: version.entries.length, ...(promoted ? { promoted } : {}), ...(rejected ? { rejected } : {}) };
}

/** The versions of a store side by side, oldest first: number, state, what made it, its changes (held ones), who decided. */
export function versionTable(versions: readonly MemoryVersion[], head: number | undefined): string[] {
  if (versions.length === 0) return ['no versions yet'];
  const rows = versions.map((version) => [
    `${version.version === head ? '*' : ' '}${version.version}`,
    version.state,
    originText(version.origin),
    `${version.changes.length} change(s)${heldCount(version) > 0 ? `, ${heldCount(version)} held` : ''}`,
    decisionText(version),
  ]);
  const header = [' version', 'state', 'origin', 'changes', 'decided'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line), '(* the head: the version agents load)'];
}

/** What made a version, in words. */
export function originText(origin: MemoryOrigin): string {
  switch (origin.kind) {
    case 'write':
      return `write by session ${origin.sessionId} (event ${origin.event})`;
    case 'consolidation':
      return `consolidation by ${origin.provider} of ${origin.sessions.length} session(s)`;
    case 'rollback':
      return `rollback to ${origin.to} by ${origin.by}`;
    default:
      return assertNever(origin);
  }
}

function decisionText({ state, promoted, rejected }: MemoryVersion): string {
  if (state === 'promoted') return promoted ? `promoted by ${promoted.by}` : 'promoted';
  if (state === 'rejected') return rejected ? `rejected by ${rejected.by}` : 'rejected';
  return 'waiting for review';
}

function heldCount(version: MemoryVersion): number {
  return version.changes.filter(({ held }) => held !== undefined).length;
}

/** `memory show`: a version's header, who read the transcripts for a consolidation, its held changes, then every entry. */
export function versionLines(version: MemoryVersion, head: number | undefined): string[] {
  const current = version.version === head ? ', the head' : '';
  const lines = [`memory store ${version.store}, version ${version.version} (${version.state}${current}; parent ${version.parent}): ${originText(version.origin)}; ${decisionText(version)}`];
  if (version.origin.kind === 'consolidation') {
    const { provider, model, jobId, sessions } = version.origin;
    lines.push(`transcripts read by ${model} (provider ${provider}), dream job ${jobId}: ${sessions.join(', ') || 'none'}`);
  }
  if (version.changes.length > 0) lines.push(`${version.changes.length} change(s) from version ${version.parent}:`, ...version.changes.map(changeLine));
  lines.push(`${version.entries.length} entries:`);
  return [...lines, ...version.entries.flatMap(entryLines)];
}

function changeLine(change: MemoryChange): string {
  const held = change.held === undefined ? '' : `  [held: ${change.held}]`;
  switch (change.kind) {
    case 'add':
      return `  add ${change.id}${held}`;
    case 'merge':
      return `  merge ${change.ids.join(', ')} into ${change.id}${held}`;
    case 'retire':
      return `  retire ${change.id}: ${change.reason}${held}`;
    default:
      return assertNever(change);
  }
}

function entryLines(entry: MemoryEntry): string[] {
  const scope = entry.scope === 'team' ? 'team' : `agent ${entry.scope.agent}`;
  const flags = entry.flags.length > 0 ? `  [${entry.flags.join(', ')}]` : '';
  return [
    `${entry.id}  ${scope}  confidence ${entry.confidence.toFixed(2)}${flags}`,
    `  ${entry.text.replaceAll('\n', '\n  ')}`,
    `  evidence: ${evidenceText(entry.evidence)}; written by ${authorText(entry)}; added in version ${entry.addedIn}`,
  ];
}

/** `session#events`, as `inspect` and `replay --to` find them. */
export function evidenceText(evidence: readonly MemoryEvidence[]): string {
  return evidence.length === 0 ? 'none' : evidence.map(({ sessionId, events }) => `${sessionId}#${events.join(',')}`).join(' ');
}

function authorText({ writtenBy }: MemoryEntry): string {
  switch (writtenBy.kind) {
    case 'session':
      return `session ${writtenBy.sessionId} (event ${writtenBy.event})`;
    case 'consolidation':
      return `consolidation version ${writtenBy.version} (${writtenBy.provider})`;
    case 'person':
      return writtenBy.name;
    default:
      return assertNever(writtenBy);
  }
}

/** `memory diff`: entries `b` has that `a` had not (+), and the reverse (-). */
export function diffLines(a: number, b: number, diff: { added: readonly MemoryEntry[]; removed: readonly MemoryEntry[] }): string[] {
  if (diff.added.length === 0 && diff.removed.length === 0) return [`versions ${a} and ${b} hold the same entries`];
  return [
    `from version ${a} to ${b}: ${diff.added.length} added, ${diff.removed.length} removed`,
    ...diff.removed.map((entry) => `- ${entry.id}  ${entry.text}`),
    ...diff.added.map((entry) => `+ ${entry.id}  ${entry.text}`),
  ];
}

/** What a dream job did, with the versions it made as they are now. */
export function dreamRunLines(run: DreamRun, versions: readonly MemoryVersion[]): string[] {
  const header = `dream job ${run.jobId} of memory store ${run.store}: ${run.status}, ${run.sessions} session(s) read`;
  if (run.status === 'failed') return [`${header}: ${run.error ?? 'no error recorded'}`];
  if (run.status === 'nothing-to-read') return [`${header}: no finished session it had not read already`];
  if (versions.length === 0) return [`${header}: nothing worth changing`];
  return [
    header,
    ...versions.map((version) => {
      const held = heldCount(version) > 0 ? `, ${heldCount(version)} change(s) held for a person` : '';
      const next = version.state === 'proposed' ? `: \`signalbox memory promote ${version.store} ${version.version}\`` : '';
      return `version ${version.version}: ${version.state}, ${version.changes.length} change(s)${held}${next}`;
    }),
  ];
}
