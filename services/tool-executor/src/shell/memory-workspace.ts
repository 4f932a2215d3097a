import type { Workspace } from './workspace.ts';

/** A workspace in a Map: for testing tools without NATS. */
export function memoryWorkspace(files = new Map<string, Uint8Array>()): Workspace {
  return {
    read: async (path) => files.get(path),
    write: async (path, content) => {
      files.set(path, content);
    },
    list: async (prefix = '') =>
      [...files].filter(([path]) => path.startsWith(prefix)).map(([path, content]) => ({ path, size: content.length })),
  };
}
