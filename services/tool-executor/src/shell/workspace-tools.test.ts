import type { ToolJob } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { execute, toolCatalogue } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { workspaceTools } from './workspace-tools.ts';

const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });
const tools = toolCatalogue(workspaceTools);

/** Runs workspace tools one after another against one in-memory workspace, returning each outcome. */
function session() {
  const run = { files: new Map<string, Uint8Array>(), writes: 0 };
  let call = 0;
  return async (tool: string, input: unknown) => {
    call += 1;
    const job: ToolJob = { sessionId: 's1', correlationId: 's1', callId: `c${call}`, tool, input, idempotencyKey: `s1/c${call}` };
    return (await execute(tools, job, { workspace: memoryWorkspace(run), outputs: memoryOutputs(), logger, now: () => 0 })).outcome;
  };
}

describe('workspace tools', () => {
  it('write, then read, then list', async () => {
    const call = session();
    // A write's outcome names the workspace revision it made; a read or a listing's, none.
    expect(await call('workspace.write', { path: 'notes/plan.md', content: 'héllo' })).toEqual({
      status: 'completed',
      output: 'wrote 6 bytes to notes/plan.md',
      workspaceRevision: 1,
    });
    await call('workspace.write', { path: 'a.txt', content: '' });
    expect(await call('workspace.read', { path: 'notes/plan.md' })).toEqual({ status: 'completed', output: 'héllo' });
    expect(await call('workspace.list', {})).toEqual({ status: 'completed', output: 'a.txt (0 bytes)\nnotes/plan.md (6 bytes)' });
    expect(await call('workspace.list', { prefix: 'notes/' })).toEqual({ status: 'completed', output: 'notes/plan.md (6 bytes)' });
  });

  it('says what to do when reading a file that does not exist', async () => {
    expect(await session()('workspace.read', { path: 'notes.md' })).toEqual({
      status: 'failed',
      error: 'no file at notes.md; workspace.list shows what exists',
    });
  });

  it('lists an empty workspace or prefix as such', async () => {
    const call = session();
    expect(await call('workspace.list', {})).toEqual({ status: 'completed', output: '(empty workspace)' });
    expect(await call('workspace.list', { prefix: 'drafts/' })).toEqual({ status: 'completed', output: '(no files under drafts/)' });
  });

  it('refuses a path that climbs out of the workspace', async () => {
    expect(await session()('workspace.write', { path: '../other-run/x', content: 'x' })).toEqual({
      status: 'failed',
      error: 'invalid input for workspace.write: path: must not contain "." or ".." segments',
    });
  });
});
