import { WorkspaceConflictError, type CallWorkspace, type WorkspaceFile, type WriteExpectation } from './workspace.ts';

/** A run's files in a Map, and how many writes it has had (the last revision): shared by the calls of a test. */
export interface MemoryFiles {
  files: Map<string, WorkspaceFile>;
  writes: number;
}

/** One call's workspace over `shared`, each write a revision: for testing tools without NATS. */
export function memoryWorkspace(shared: MemoryFiles = { files: new Map(), writes: 0 }): CallWorkspace {
  let revision: number | undefined;
  const recorded = (path: string, expectation: WriteExpectation | undefined, content?: Uint8Array) => {
    const current = shared.files.get(path)?.revision ?? 0;
    if (expectation && expectation.ifRevision !== current) throw new WorkspaceConflictError(path, expectation.ifRevision, current);
    revision = shared.writes += 1;
    if (content === undefined) shared.files.delete(path);
    else shared.files.set(path, { content, revision });
    return revision;
  };
  return {
    read: async (path) => shared.files.get(path)?.content,
    file: async (path) => shared.files.get(path),
    write: async (path, content, expectation) => recorded(path, expectation, content),
    delete: async (path, expectation) => recorded(path, expectation),
    list: async (prefix = '') =>
      [...shared.files].filter(([path]) => path.startsWith(prefix)).map(([path, file]) => ({ path, size: file.content.length })),
    get revision() {
      return revision;
    },
  };
}
