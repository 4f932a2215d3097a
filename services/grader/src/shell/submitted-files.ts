import type { SubmittedFile } from '@signalbox/events';
import type { WorkspaceEntry, WorkspaceFiles } from '@signalbox/store';
import type { SubmittedContent } from '../core/function-grader.ts';

/** Files larger than this are not read: the grader shows a model 20,000 characters of each at most. */
export const maxFileBytes = 1_000_000;

/**
 * The submitted files, read from the run's workspace (rooted at the job's correlation id) as of the
 * revision each names: the run's own writes only (a fork's files inherited from its origin are not
 * seen: the grader never reads the log that says where a fork comes from). A file the run had not
 * written by then is missing; a large or binary one is named, not read.
 */
export async function readSubmittedFiles(workspace: WorkspaceFiles, root: string, files: readonly SubmittedFile[]): Promise<SubmittedContent[]> {
  // One listing a revision (files submitted together share theirs): sizes first, so a huge file is never loaded.
  const listings = new Map<number, Promise<WorkspaceEntry[]>>();
  const listing = (revision: number) => {
    let listed = listings.get(revision);
    if (!listed) listings.set(revision, (listed = workspace.list([{ root, upTo: revision }])));
    return listed;
  };
  return Promise.all(files.map((file) => readOne(workspace, root, file, listing)));
}

async function readOne(workspace: WorkspaceFiles, root: string, file: SubmittedFile, listing: (revision: number) => Promise<WorkspaceEntry[]>): Promise<SubmittedContent> {
  const { path, revision } = file;
  if (revision === undefined) return { path, status: 'missing', reason: 'the run had written no file when it submitted its output' };
  const view = [{ root, upTo: revision }];
  const entry = (await listing(revision)).find((listed) => listed.path === path);
  if (!entry) return { path, status: 'missing', reason: `the workspace holds no ${path} at revision ${revision}` };
  if (entry.size > maxFileBytes) return { path, status: 'too_large', reason: `${entry.size} bytes, more than the grader reads (${maxFileBytes})` };
  const bytes = await workspace.read(view, path);
  if (bytes === undefined) return { path, status: 'missing', reason: `the workspace holds no ${path} at revision ${revision}` };
  try {
    return { path, status: 'read', content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { path, status: 'binary', reason: `${bytes.length} bytes that are not UTF-8 text` };
  }
}
