import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import type { SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { readOutputOf } from '../support/workspace-reads.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Writes a draft, reads it back, then overwrites it: a read that sees the workspace as of its point in the run. */
const drafter = {
  name: 'drafter',
  model: 'scripted',
  system: 'You draft.',
  tools: ['workspace.write', 'workspace.read', 'workspace.list'],
  script: [
    { tool: 'workspace.write', input: { path: 'draft.md', content: 'first draft' } },
    { tool: 'workspace.read', input: { path: 'draft.md' } },
    { tool: 'workspace.write', input: { path: 'draft.md', content: 'second draft, longer' } },
    { tool: 'workspace.write', input: { path: 'notes.md', content: 'notes' } },
    { final: 'drafted' },
  ],
};

let runtime: TestRuntime;
let original: SessionEvent[];
beforeAll(async () => {
  runtime = await startTestRuntime({ agents: [drafter] });
  await runtime.client.submit('drafter', { input: 'Draft it', sessionId: 'drafted' });
  original = await runtime.completedSession('drafted');
});
afterAll(() => runtime.dispose());

/** The event recording how call `k` (1-based) of the session ended. */
function outcomeOfCall(events: readonly SessionEvent[], k: number): SessionEvent {
  const outcomes = events.filter((event) => event.type === 'tool.completed' || event.type === 'tool.failed');
  const outcome = outcomes[k - 1];
  if (!outcome) throw new Error(`no outcome of call ${k}`);
  return outcome;
}

/** Messages of the workspace stream on `root`'s subjects: its run's writes. */
async function writesOf(runRoot: string): Promise<number> {
  const jsm = await jetstreamManager(runtime.nc);
  const info = await jsm.streams.info(runtime.client.names.streams.workspace, { subjects_filter: runtime.client.names.subjects.workspaceFiles(runRoot) });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

describe("a session's workspace history", () => {
  it('records the revision each write made in the call\'s event, and none for a read', () => {
    const [firstWrite, read, secondWrite] = [1, 2, 3].map((k) => outcomeOfCall(original, k));
    expect(firstWrite).toMatchObject({ type: 'tool.completed', data: { workspaceRevision: expect.any(Number) } });
    expect(read).toMatchObject({ type: 'tool.completed', data: { output: expect.stringMatching(readOutputOf('draft.md', 'first draft')) } });
    expect(read?.data).not.toHaveProperty('workspaceRevision');
    expect((secondWrite?.data as { workspaceRevision: number }).workspaceRevision).toBeGreaterThan((firstWrite?.data as { workspaceRevision: number }).workspaceRevision);
  });

  it('starts an unedited, live fork with the files its original had at the fork point, and leaves the original its own', async () => {
    const afterFirstWrite = outcomeOfCall(original, 1).n;
    const writesBefore = await writesOf('drafted');
    const forkId = await runtime.client.fork('drafted', { at: afterFirstWrite, sessionId: 'drafted-fork' });
    const fork = await runtime.completedSession(forkId);
    // The fork's first read is a live call (not hermetic): it sees the original's first draft.
    expect(outcomeOfCall(fork, 2)).toMatchObject({ type: 'tool.completed', data: { output: expect.stringMatching(readOutputOf('draft.md', 'first draft')) } });
    expect(fork.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(await writesOf('drafted')).toBe(writesBefore);
    expect(await writesOf(forkId)).toBe(2);
    expect(await runtime.client.workspaceAt(forkId)).toEqual([
      { path: 'draft.md', size: 20 },
      { path: 'notes.md', size: 5 },
    ]);
  });

  it('lists the workspace as it was at any event, through the client and `replay --to n --workspace`', async () => {
    const afterFirstWrite = outcomeOfCall(original, 1).n;
    expect(await runtime.client.workspaceAt('drafted', afterFirstWrite - 1)).toEqual([]);
    expect(await runtime.client.workspaceAt('drafted', afterFirstWrite)).toEqual([{ path: 'draft.md', size: 11 }]);
    expect(await runtime.client.workspaceAt('drafted')).toEqual([
      { path: 'draft.md', size: 20 },
      { path: 'notes.md', size: 5 },
    ]);
    const { stdout } = await cli('replay', 'drafted', '--to', String(afterFirstWrite), '--workspace');
    expect(stdout).toContain(`workspace after event ${afterFirstWrite}: 1 file\n  draft.md (11 bytes)`);
  });
});

function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['packages/cli/src/main.ts', ...args, '--nats', runtime.server.url], { cwd: root, timeout: 20_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(new Error(`could not run signalbox ${args.join(' ')}`, { cause: error }));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout });
    });
  });
}
