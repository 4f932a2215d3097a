import type { ObjectStore } from '@nats-io/obj';
import { z } from 'zod';

/** A file in a run's workspace, named by its path relative to the workspace root. */
export interface WorkspaceEntry {
  path: string;
  size: number;
}

/** The shared filesystem of one run (a root session and its subagents). Tools see only this, never NATS. */
export interface Workspace {
  /** The file's bytes, or undefined when there is no file at `path`. */
  read(path: string): Promise<Uint8Array | undefined>;
  write(path: string, content: Uint8Array): Promise<void>;
  /** Every file whose path starts with `prefix`, in no particular order. */
  list(prefix?: string): Promise<WorkspaceEntry[]>;
}

export const maxPathLength = 512;

/** A workspace path as a tool accepts it: its object name is `<rootSessionId>/<path>`, so it must not climb out. */
export const WorkspacePath = z
  .string()
  .min(1, 'must not be empty')
  .max(maxPathLength, `must be at most ${maxPathLength} characters`)
  .superRefine((path, context) => {
    const problem = pathProblem(path);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
export type WorkspacePath = z.infer<typeof WorkspacePath>;

// The first problem only: "/etc" has one mistake, not also an empty first segment.
function pathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'must be relative, without a leading "/"';
  const segments = path.split('/');
  if (segments.includes('')) return 'must not contain empty segments ("//" or a trailing "/")';
  if (segments.includes('..') || segments.includes('.')) return 'must not contain "." or ".." segments';
  return undefined;
}

/** The workspace of the run rooted at `rootSessionId`, kept in the `sbx-workspace` object store. */
export function objectStoreWorkspace(store: ObjectStore, rootSessionId: string): Workspace {
  const root = `${rootSessionId}/`;
  return {
    read: async (path) => (await store.getBlob(root + path)) ?? undefined,
    write: async (path, content) => {
      await store.putBlob({ name: root + path }, content);
    },
    list: async (prefix = '') => {
      // Object names are base64 in their subjects, so the server cannot filter by prefix: list and filter here.
      const objects = await store.list();
      return objects
        .filter((object) => object.name.startsWith(root + prefix))
        .map((object) => ({ path: object.name.slice(root.length), size: object.size }));
    },
  };
}
