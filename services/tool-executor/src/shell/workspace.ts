import type { WorkspaceEntry, WorkspaceFiles, WorkspaceView } from '@signalbox/store';
import { z } from 'zod';

export type { WorkspaceEntry } from '@signalbox/store';

/** The shared filesystem of one run (a root session and its subagents). Tools see only this, never NATS. */
export interface Workspace {
  /** The file's bytes, or undefined when there is no file at `path`. */
  read(path: string): Promise<Uint8Array | undefined>;
  write(path: string, content: Uint8Array): Promise<void>;
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

/** The workspace a call of the run whose view is `view` sees (`view[0]` is the run's own layer). */
export function callWorkspace(files: WorkspaceFiles, view: WorkspaceView): CallWorkspace {
  const root = view[0]?.root;
  if (root === undefined) throw new Error('a workspace view needs the run\'s own layer');
  let revision: number | undefined;
  return {
    read: (path) => files.read(view, path),
    write: async (path, content) => {
      const written = await files.write(root, path, content);
      revision = Math.max(revision ?? 0, written);
    },
    list: (prefix) => files.list(view, prefix),
    get revision() {
      return revision;
    },
  };
}
