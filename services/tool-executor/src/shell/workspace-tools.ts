import { z } from 'zod';
import { defineTool, type ToolSpec } from './tool.ts';
import { IfRevision, WorkspacePath, WorkspacePrefix } from './workspace.ts';

/** Reading a path that holds no file: the model should look before it reads again. */
export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
  readonly code = 'file_not_found';
  constructor(path: string) {
    super(`no file at ${path}; workspace.list shows what exists`);
  }
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

export const workspaceWrite = defineTool({
  name: 'workspace.write',
  description:
    'Write a text file to the workspace shared by this run and its subagents, replacing any file at that path. ' +
    'Others may change the same file: pass ifRevision to write only if it is still as you read it.',
  input: z.object({
    path: WorkspacePath.describe('Relative path, like "notes/plan.md"'),
    content: z.string().describe('The whole new content of the file'),
    ifRevision: IfRevision.optional().describe(
      'The revision workspace.read showed for the file, or 0 if the file must not exist yet. If it has changed since, nothing is written ' +
        'and the call fails with the current revision: read the file again, merge your changes, and write with that revision. ' +
        'Leave it out to overwrite whatever the file holds.',
    ),
  }),
  run: async ({ path, content, ifRevision }, { workspace }) => {
    const bytes = utf8.encode(content);
    const revision = await workspace.write(path, bytes, ifRevision === undefined ? undefined : { ifRevision });
    return `wrote ${bytes.length} bytes to ${path}, now at revision ${revision}`;
  },
});

export const workspaceRead = defineTool({
  name: 'workspace.read',
  description:
    'Read a text file from the workspace shared by this run and its subagents. The first line of the output names the ' +
    "file's revision (pass it as ifRevision to workspace.write) and is not part of the file; the file's text starts on the next line.",
  input: z.object({ path: WorkspacePath.describe('Relative path, like "notes/plan.md"') }),
  run: async ({ path }, { workspace }) => {
    const file = await workspace.file(path);
    if (file === undefined) throw new MissingFileError(path);
    return readOutput(path, file.revision, text.decode(file.content));
  },
});

/**
 * The file's text after one line naming its revision. A first line, not a trailing note: an output
 * too long for a result keeps its beginning, and the text after the line is the file's, byte for byte.
 */
export function readOutput(path: string, revision: number, content: string): string {
  return `[revision ${revision} of ${path}; the file's text starts on the next line]\n${content}`;
}

export const workspaceList = defineTool({
  name: 'workspace.list',
  description: 'List the files in the workspace shared by this run and its subagents, with their sizes.',
  input: z.object({
    prefix: WorkspacePrefix.optional().describe('Only paths that start with this, like "notes/"'),
  }),
  run: async ({ prefix }, { workspace }) => {
    const entries = await workspace.list(prefix);
    if (entries.length === 0) return prefix ? `(no files under ${prefix})` : '(empty workspace)';
    return entries
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((entry) => `${entry.path} (${entry.size} bytes)`)
      .join('\n');
  },
});

/** The built-in tools over the run's workspace. */
export const workspaceTools: readonly ToolSpec[] = [workspaceWrite, workspaceRead, workspaceList];
