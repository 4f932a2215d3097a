import type { SessionEvent } from '@signalbox/events';
import { probeSandbox, shellExecTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, succeededSession, type TestRuntime } from '../support/runtime.ts';
import { readOutputOf } from '../support/workspace-reads.ts';

const sandbox = probeSandbox();

/** Writes a list, has the shell sort it into a new file and delete the original, then reads and lists what is left. */
const sorter = {
  name: 'sorter',
  model: 'scripted',
  system: 'You sort.',
  tools: ['workspace.write', 'shell.exec', 'workspace.read', 'workspace.list'],
  script: [
    { tool: 'workspace.write', input: { path: 'names.txt', content: 'carol\nalice\nbob\n' } },
    { tool: 'shell.exec', input: { command: 'sort names.txt > sorted.txt && rm names.txt && wc -l < sorted.txt' } },
    { tool: 'workspace.read', input: { path: 'sorted.txt' } },
    { tool: 'workspace.list', input: {} },
    { final: 'sorted' },
  ],
};

describe.skipIf(!sandbox.available)(`an agent's shell command${sandbox.available ? '' : ` (skipped: ${sandbox.reason})`}`, () => {
  let runtime: TestRuntime;
  let events: SessionEvent[];
  beforeAll(async () => {
    runtime = await startTestRuntime({ agents: [sorter], tools: [...workspaceTools, shellExecTool({ limits: { wallTimeMs: 10_000 } })] });
    await runtime.client.submit('sorter', { input: 'Sort the names', sessionId: 'sorted' });
    events = await succeededSession(runtime.client, 'sorted', 20_000);
  });
  afterAll(() => runtime?.dispose());

  it("records what the command changed in its call's event, and a later read sees the file it made", () => {
    const outcomes = events.filter((event) => event.type === 'tool.completed');
    expect(outcomes.map((event) => event.data.tool)).toEqual(['workspace.write', 'shell.exec', 'workspace.read', 'workspace.list']);
    const [write, shell, read, list] = outcomes;
    expect(shell?.data).toMatchObject({ workspaceRevision: expect.any(Number) as number });
    expect((shell?.data as { workspaceRevision: number }).workspaceRevision).toBeGreaterThan((write?.data as { workspaceRevision: number }).workspaceRevision);
    expect(JSON.parse((shell?.data as { output: string }).output)).toMatchObject({ exitCode: 0, stdout: '3\n', written: ['sorted.txt'], deleted: ['names.txt'] });
    expect(read?.data).toMatchObject({ output: expect.stringMatching(readOutputOf('sorted.txt', 'alice\nbob\ncarol\n')) });
    expect(list?.data).toMatchObject({ output: 'sorted.txt (16 bytes)' });
  });
});
