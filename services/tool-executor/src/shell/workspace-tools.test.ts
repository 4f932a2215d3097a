import type { ToolJob } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { execute, toolCatalogue } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { advertisementOf } from './tool.ts';
import { readOutput, workspaceTools, workspaceWrite } from './workspace-tools.ts';

const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });
const tools = toolCatalogue(workspaceTools);

/** Runs workspace tools one after another against one in-memory workspace, returning each outcome. */
function session() {
  const run = { files: new Map(), writes: 0 };
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
      output: 'wrote 6 bytes to notes/plan.md, now at revision 1',
      workspaceRevision: 1,
    });
    await call('workspace.write', { path: 'a.txt', content: '' });
    // The revision on a line of its own, then the file byte for byte.
    expect(await call('workspace.read', { path: 'notes/plan.md' })).toEqual({
      status: 'completed',
      output: "[revision 1 of notes/plan.md; the file's text starts on the next line]\nhéllo",
    });
    expect(await call('workspace.read', { path: 'a.txt' })).toEqual({ status: 'completed', output: readOutput('a.txt', 2, '') });
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

  it('writes with ifRevision only over the revision its writer read, and says what to do when the file changed', async () => {
    const call = session();
    expect(await call('workspace.write', { path: 'plan.md', content: 'one', ifRevision: 0 })).toMatchObject({ status: 'completed', workspaceRevision: 1 });
    expect(await call('workspace.write', { path: 'plan.md', content: 'also new', ifRevision: 0 })).toEqual({
      status: 'failed',
      error: 'not written: plan.md already exists, at revision 1. Read it again (workspace.read), merge your changes into what it holds now, and write with ifRevision 1',
    });
    expect(await call('workspace.write', { path: 'plan.md', content: 'two', ifRevision: 1 })).toMatchObject({ status: 'completed', workspaceRevision: 2 });
    expect(await call('workspace.write', { path: 'plan.md', content: 'stale', ifRevision: 1 })).toEqual({
      status: 'failed',
      error: 'not written: plan.md is at revision 2, not 1: it changed since you read it. Read it again (workspace.read), merge your changes into what it holds now, and write with ifRevision 2',
    });
    expect(await call('workspace.write', { path: 'other.md', content: 'x', ifRevision: 5 })).toEqual({
      status: 'failed',
      error: 'not written: there is no file at other.md, not revision 5; to create it, write with ifRevision 0',
    });
    // Without ifRevision, the last writer wins, as before.
    expect(await call('workspace.write', { path: 'plan.md', content: 'three' })).toMatchObject({ status: 'completed', workspaceRevision: 3 });
    expect(await call('workspace.read', { path: 'plan.md' })).toEqual({ status: 'completed', output: readOutput('plan.md', 3, 'three') });
  });

  it('refuses a revision no write could have: negative, fractional, past the largest safe integer, or not a number', async () => {
    const call = session();
    const write = (ifRevision: unknown) => call('workspace.write', { path: 'a.md', content: 'x', ifRevision });
    const refusal = (why: string) => ({ status: 'failed', error: `invalid input for workspace.write: ifRevision: ${why}` });
    for (const hostile of [-1, 1.5, 2 ** 53, 1e300, -0.5]) {
      expect(await write(hostile)).toEqual(refusal('must be 0 (no file yet) or a revision workspace.read showed'));
    }
    expect(await write('3')).toMatchObject({ status: 'failed', error: expect.stringContaining('ifRevision:') });
    expect(await write(null)).toMatchObject({ status: 'failed', error: expect.stringContaining('ifRevision:') });
    expect(await call('workspace.list', {})).toEqual({ status: 'completed', output: '(empty workspace)' });
  });

  it('advertises ifRevision to models as an optional whole number from 0', () => {
    const { inputSchema, description } = advertisementOf(workspaceWrite);
    expect(description).toContain('ifRevision');
    expect(inputSchema).toMatchObject({
      required: ['path', 'content'],
      properties: { ifRevision: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: expect.stringContaining('workspace.read') } },
    });
  });
});
