import type { SubmittedFile } from '@signalbox/events';
import type { WorkspaceEntry, WorkspaceFiles, WorkspaceView } from '@signalbox/store';
import type { SubmittedContent } from '../core/function-grader.ts';

/** Files larger than this are not read: the grader shows a model 20,000 characters of each at most. */
export const maxFileBytes = 1_000_000;

/**
 * The submitted files, read from the run's workspace (rooted at the job's correlation id) as of the
 * revision each names, then from the layers a fork inherited (`inherited`, which the actor put on the
 * job: the grader never reads the log that says where a fork comes from). A file neither holds is
 * missing; a large or binary one is named, not read.
 */
export async function readSubmittedFiles(workspace: WorkspaceFiles, root: string, files: readonly SubmittedFile[], inherited: WorkspaceView = []): Promise<SubmittedContent[]> {
  const viewAt = (revision: number | undefined): WorkspaceView => [...(revision === undefined ? [] : [{ root, upTo: revision }]), ...inherited];
  // One listing a revision (files submitted together share theirs): sizes first, so a huge file is never loaded.
  const listings = new Map<number | undefined, Promise<WorkspaceEntry[]>>();
  const listing = (revision: number | undefined) => {
    let listed = listings.get(revision);
    if (!listed) listings.set(revision, (listed = workspace.list(viewAt(revision))));
    return listed;
  };
  return Promise.all(files.map((file) => readOne(workspace, file, viewAt(file.revision), listing)));
}

async function readOne(workspace: WorkspaceFiles, file: SubmittedFile, view: WorkspaceView, listing: (revision: number | undefined) => Promise<WorkspaceEntry[]>): Promise<SubmittedContent> {
  const { path, revision } = file;
  const absent = revision === undefined ? `the run had written no ${path} when it submitted its output` : `the workspace holds no ${path} at revision ${revision}`;
  if (view.length === 0) return { path, status: 'missing', reason: 'the run had written no file when it submitted its output' };
  const entry = (await listing(revision)).find((listed) => listed.path === path);
  if (!entry) return { path, status: 'missing', reason: absent };
  if (entry.size > maxFileBytes) return { path, status: 'too_large', reason: `${entry.size} bytes, more than the grader reads (${maxFileBytes})` };
  const bytes = await workspace.read(view, path);
  if (bytes === undefined) return { path, status: 'missing', reason: absent };
  try {
    return { path, status: 'read', content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { path, status: 'binary', reason: `${bytes.length} bytes that are not UTF-8 text` };
  }
}
