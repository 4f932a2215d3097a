/** The harness of shell.exec's integration tests (bubblewrap and container): calls of one run over an in-memory workspace. */
import type { ToolJob, ToolOutcome } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { execute, type ToolCatalogue } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace, type MemoryFiles } from './memory-workspace.ts';
import type { CallWorkspace } from './workspace.ts';

export const testLogger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });
const utf8 = new TextEncoder();

/** What a completed shell.exec call answers. */
export interface ShellResult {
  exitCode: number | null;
  note?: string;
  stdout: string;
  stderr: string;
  written: string[];
  deleted: string[];
  notWrittenBack?: { path: string; why: string }[];
}

/**
 * Makes runs whose calls go to `tools`: each over one in-memory workspace holding `files`, whose calls
 * `wrap` may see differently, with `catalogue` in place of `tools`, and a grant naming `namedHosts`.
 */
export function shellRuns(tools: ToolCatalogue) {
  return (files: Record<string, string> = {}, wrap: (workspace: CallWorkspace) => CallWorkspace = (workspace) => workspace, catalogue = tools, namedHosts: string[] = []) => {
    const shared: MemoryFiles = { files: new Map(), writes: 0 };
    for (const [path, content] of Object.entries(files)) shared.files.set(path, { content: utf8.encode(content), revision: (shared.writes += 1) });
    let call = 0;
    const outcome = async (tool: string, input: unknown, secrets: Record<string, string> = {}): Promise<ToolOutcome> => {
      call += 1;
      const job: ToolJob = { sessionId: 'run', correlationId: 'run', callId: `c${call}`, tool, input, idempotencyKey: `run/c${call}` };
      const grant = { namedHosts, secrets: Object.keys(secrets) };
      const openSecret = async (name: string) => secrets[name] ?? '';
      return (await execute(catalogue, job, { workspace: wrap(memoryWorkspace(shared)), outputs: memoryOutputs(), logger: testLogger, now: () => 0, grant, openSecret })).outcome;
    };
    const exec = async (command: string, secrets?: Record<string, string>): Promise<ShellResult> => {
      const done = await outcome('shell.exec', { command, ...(secrets ? { secrets: Object.keys(secrets) } : {}) }, secrets);
      if (done.status !== 'completed') throw new Error(`shell.exec did not complete: ${JSON.stringify(done)}`);
      return JSON.parse(done.output) as ShellResult;
    };
    const text = (path: string) => {
      const file = shared.files.get(path);
      return file && new TextDecoder().decode(file.content);
    };
    return { exec, outcome, text, shared };
  };
}
