import type { ConditionalWrite, WorkspaceEntry, WorkspaceFile, WorkspaceFiles, WorkspaceView } from '@signalbox/store';
import { z } from 'zod';

export type { WorkspaceEntry, WorkspaceFile } from '@signalbox/store';

/** What a write expects of the file: its revision when the writer read it, or 0 when it must not exist yet. */
export interface WriteExpectation {
  ifRevision: number;
}

/** The shared filesystem of one run (a root session and its subagents). Tools see only this, never NATS. */
export interface Workspace {
  /** The file's bytes, or undefined when there is no file at `path`. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** The file's bytes and the revision of the write that put them there, or undefined when there is no file at `path`. */
  file(path: string): Promise<WorkspaceFile | undefined>;
  /**
   * Writes the file; resolves to the write's revision. With an expectation, writes only if the file is
   * still as expected, checked with the write, and otherwise rejects with a `WorkspaceConflictError`.
   */
  write(path: string, content: Uint8Array, expectation?: WriteExpectation): Promise<number>;
  /** Deletes the file, as `write` writes it; resolves to the deletion's revision. */
  delete(path: string, expectation?: WriteExpectation): Promise<number>;
  /** Every file whose path starts with `prefix`, in no particular order. */
  list(prefix?: string): Promise<WorkspaceEntry[]>;
}

export const maxPathLength = 512;

/** A workspace path as a tool accepts it: relative, and never climbing out of the run's files. */
export const WorkspacePath = z
  .string()
  .min(1, 'must not be empty')
  .max(maxPathLength, `must be at most ${maxPathLength} characters`)
  .superRefine((path, context) => {
    const problem = pathProblem(path);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
export type WorkspacePath = z.infer<typeof WorkspacePath>;

/** NUL, the other C0 and C1 controls, DEL, and the line and paragraph separators: no file name needs them, and they forge lines in listings and logs. */
const controlCharacter = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const controlProblem = 'must not contain NUL or other control characters';

const revisionProblem = 'must be 0 (no file yet) or a revision workspace.read showed';

/** A revision as a write expects it: a stream sequence, or 0 for "no file yet". Zod's `int` also caps it at 2^53 - 1. */
export const IfRevision = z.number().int(revisionProblem).min(0, revisionProblem);

/** A conditional write that found the file changed since its writer read it: read it again, merge, and write with the current revision. */
export class WorkspaceConflictError extends Error {
  override readonly name = 'WorkspaceConflictError';
  readonly code = 'workspace_conflict';
  readonly path: string;
  readonly ifRevision: number;
  /** The file's revision now; 0 when there is no file. */
  readonly current: number;

  constructor(path: string, ifRevision: number, current: number) {
    super(conflictMessage(path, ifRevision, current));
    this.path = path;
    this.ifRevision = ifRevision;
    this.current = current;
  }
}

function conflictMessage(path: string, ifRevision: number, current: number): string {
  if (current === 0) return `not written: there is no file at ${path}, not revision ${ifRevision}; to create it, write with ifRevision 0`;
  const found = ifRevision === 0 ? `${path} already exists, at revision ${current}` : `${path} is at revision ${current}, not ${ifRevision}: it changed since you read it`;
  return `not written: ${found}. Read it again (workspace.read), merge your changes into what it holds now, and write with ifRevision ${current}`;
}

/** A prefix to list a workspace by, like "notes/": any start of a path, but no control character. */
export const WorkspacePrefix = z
  .string()
  .max(maxPathLength, `must be at most ${maxPathLength} characters`)
  .refine((prefix) => !controlCharacter.test(prefix), controlProblem);

// The first problem only: "/etc" has one mistake, not also an empty first segment.
function pathProblem(path: string): string | undefined {
  if (controlCharacter.test(path)) return controlProblem;
  if (path.startsWith('/')) return 'must be relative, without a leading "/"';
  const segments = path.split('/');
  if (segments.includes('')) return 'must not contain empty segments ("//" or a trailing "/")';
  if (segments.includes('..') || segments.includes('.')) return 'must not contain "." or ".." segments';
  return undefined;
}

/** A call's workspace: the run's files as its view sees them, writing to its own run's layer and remembering its last write's revision. */
export interface CallWorkspace extends Workspace {
  /** The revision of this call's last write, if it wrote. */
  readonly revision: number | undefined;
}

/**
 * The workspace a call of the run whose view is `view` sees (`view[0]` is the run's own layer). Its
 * writes are named by the call's idempotency key and their order in the call, the same on every run
 * of the call: a conditional write run again after a crash finds its earlier self, not a conflict.
 */
export function callWorkspace(files: WorkspaceFiles, view: WorkspaceView, idempotencyKey: string): CallWorkspace {
  const root = view[0]?.root;
  if (root === undefined) throw new Error('a workspace view needs the run\'s own layer');
  let revision: number | undefined;
  let writes = 0;
  const checked = async (path: string, ifRevision: number, outcome: Promise<ConditionalWrite>) => {
    const done = await outcome;
    if (!done.written) throw new WorkspaceConflictError(path, ifRevision, done.current);
    return done.revision;
  };
  // Deletions are writes too: they count in the ids and in the revision the call leaves.
  const recorded = async (record: (writeId: string) => Promise<number>) => {
    writes += 1;
    const written = await record(`${idempotencyKey}/write-${writes}`);
    revision = Math.max(revision ?? 0, written);
    return written;
  };
  return {
    read: (path) => files.read(view, path),
    file: (path) => files.file(view, path),
    write: (path, content, expectation) =>
      recorded((writeId) =>
        expectation === undefined ? files.write(root, path, content) : checked(path, expectation.ifRevision, files.writeIf(view, path, content, { ...expectation, writeId })),
      ),
    delete: (path, expectation) =>
      recorded((writeId) => (expectation === undefined ? files.delete(root, path) : checked(path, expectation.ifRevision, files.deleteIf(view, path, { ...expectation, writeId })))),
    list: (prefix) => files.list(view, prefix),
    get revision() {
      return revision;
    },
  };
}
