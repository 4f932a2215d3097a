import type { CallWorkspace } from './workspace.ts';

/** A run's files in a Map, and how many writes it has had (the last revision): shared by the calls of a test. */
export interface MemoryFiles {
  files: Map<string, Uint8Array>;
  writes: number;
}

/** One call's workspace over `shared`, each write a revision: for testing tools without NATS. */
export function memoryWorkspace(shared: MemoryFiles = { files: new Map(), writes: 0 }): CallWorkspace {
  let revision: number | undefined;
  return {
    read: async (path) => shared.files.get(path),
    write: async (path, content) => {
      shared.files.set(path, content);
      revision = shared.writes += 1;
    },
    list: async (prefix = '') =>
      [...shared.files].filter(([path]) => path.startsWith(prefix)).map(([path, content]) => ({ path, size: content.length })),
    get revision() {
      return revision;
    },
  };
}
