import { z } from 'zod';
import { defineTool, type ToolSpec } from './tool.ts';
import { WorkspacePath, WorkspacePrefix } from './workspace.ts';

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
  description: 'Write a text file to the workspace shared by this run and its subagents, replacing any file at that path.',
  input: z.object({
    path: WorkspacePath.describe('Relative path, like "notes/plan.md"'),
    content: z.string().describe('The whole new content of the file'),
  }),
  run: async ({ path, content }, { workspace }) => {
    const bytes = utf8.encode(content);
    await workspace.write(path, bytes);
    return `wrote ${bytes.length} bytes to ${path}`;
  },
});

export const workspaceRead = defineTool({
  name: 'workspace.read',
  description: 'Read a text file from the workspace shared by this run and its subagents.',
  input: z.object({ path: WorkspacePath.describe('Relative path, like "notes/plan.md"') }),
  run: async ({ path }, { workspace }) => {
    const content = await workspace.read(path);
    if (content === undefined) throw new MissingFileError(path);
    return text.decode(content);
  },
});

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
