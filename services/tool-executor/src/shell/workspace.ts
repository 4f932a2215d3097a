import type { KV } from '@nats-io/kv';
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

/**
 * The workspace of the run rooted at `rootSessionId`, kept in the `sbx-workspace` object store. Object
 * names are base64 in their subjects, so the server cannot list one run's objects; each file is
 * therefore also an entry of `index` (`sbx-workspace-index`), `<rootSessionId>.<base64url path>` with
 * its size, and a listing reads the run's own entries only. Written after the object, so an entry
 * always names a file; a write cut off between the two is listed once the call is run again.
 */
export function objectStoreWorkspace(store: ObjectStore, index: KV, rootSessionId: string): Workspace {
  const root = `${rootSessionId}/`;
  return {
    read: async (path) => (await store.getBlob(root + path)) ?? undefined,
    write: async (path, content) => {
      await store.putBlob({ name: root + path }, content);
      await index.put(indexKey(rootSessionId, path), String(content.length));
    },
    list: async (prefix = '') => {
      const entries: WorkspaceEntry[] = [];
      for await (const key of await index.keys(`${rootSessionId}.>`)) {
        const path = Buffer.from(key.slice(rootSessionId.length + 1), 'base64url').toString('utf8');
        if (!path.startsWith(prefix)) continue;
        const entry = await index.get(key);
        if (entry?.operation === 'PUT') entries.push({ path, size: Number(entry.string()) });
      }
      return entries;
    },
  };
}

function indexKey(rootSessionId: string, path: string): string {
  return `${rootSessionId}.${Buffer.from(path, 'utf8').toString('base64url')}`;
}
