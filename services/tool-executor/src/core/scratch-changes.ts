/** A workspace file as it was copied into the scratch directory: its content's sha256 and the revision it was read at. */
export interface Materialised {
  sha256: string;
  revision: number;
}

/** What the scratch directory holds at a path after the command: a regular file, or anything else (never followed). */
export type ScratchEntry =
  | { kind: 'file'; path: string; sha256: string; size: number }
  | { kind: 'refused'; path: string; why: string };

/** A change to write back, conditioned on the file being still as it was copied in (0: no file then). */
export type ScratchChange =
  | { kind: 'write'; path: string; ifRevision: number }
  | { kind: 'delete'; path: string; ifRevision: number };

export interface ScratchChanges {
  changes: ScratchChange[];
  /** Paths left as they are in the workspace, and why: a symbolic link, a device, a fifo, a path no workspace holds. */
  refused: { path: string; why: string }[];
}

/**
 * What the command changed, comparing the scratch directory after it with what was copied in: new and
 * changed files are written, files gone are deleted. Anything that is not a regular file is never read
 * and never written back: a symbolic link to /etc/passwd is refused, not copied as its target. A path
 * that held a file and now holds something refused keeps its file (the command did not delete it).
 */
export function scratchChanges(materialised: ReadonlyMap<string, Materialised>, after: readonly ScratchEntry[], isWorkspacePath: (path: string) => string | undefined): ScratchChanges {
  const changes: ScratchChange[] = [];
  const refused: ScratchChanges['refused'] = [];
  const seen = new Set<string>();
  for (const entry of after) {
    seen.add(entry.path);
    const pathProblem = isWorkspacePath(entry.path);
    if (entry.kind === 'refused' || pathProblem !== undefined) {
      refused.push({ path: entry.path, why: entry.kind === 'refused' ? entry.why : `not a workspace path: ${pathProblem}` });
      continue;
    }
    const before = materialised.get(entry.path);
    if (before?.sha256 !== entry.sha256) changes.push({ kind: 'write', path: entry.path, ifRevision: before?.revision ?? 0 });
  }
  for (const [path, { revision }] of materialised) {
    if (!seen.has(path)) changes.push({ kind: 'delete', path, ifRevision: revision });
  }
  return { changes: changes.sort(byPath), refused: refused.sort(byPath) };
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
