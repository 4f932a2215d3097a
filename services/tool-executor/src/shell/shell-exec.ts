import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretName } from '@signalbox/events';
import { z } from 'zod';
import { containerCommand, containerName, defaultShellImage } from '../core/container-plan.ts';
import { sandboxCommand, SandboxLimits, type HostLayout, type SandboxLimitsInput } from '../core/sandbox-plan.ts';
import { scratchChanges, type ScratchChange } from '../core/scratch-changes.ts';
import { runInContainer } from './container-run.ts';
import { startEgressProxy, type EgressProxy } from './egress-proxy.ts';
import { hostLayout } from './sandbox-probe.ts';
import { runSandboxed, type SandboxRun } from './sandbox-run.ts';
import { materialise, readScratchFile, scanScratch } from './scratch-files.ts';
import { defineTool, type JsonValue, type ToolContext, type ToolSpec } from './tool.ts';
import { WorkspaceConflictError, WorkspacePath } from './workspace.ts';

/** What runs the command: a bubblewrap sandbox (the default), or a Docker container. */
export type ShellBackend = 'bubblewrap' | 'docker';

export interface ShellExecOptions {
  /** Default bubblewrap. With docker, the memory and process limits hold for the container as a whole. */
  backend?: ShellBackend;
  /** The docker backend's image (default `signalbox-shell:busybox`, which `scripts/shell-image.sh` builds). */
  image?: string;
  limits?: SandboxLimitsInput;
  /**
   * Under which directory the executor keeps its calls' scratch directories (default: the system's temp
   * directory). The sandbox's uid must be able to pass through it.
   */
  scratchRoot?: string;
  /**
   * When the executor runs as root, each call's command runs as its own uid from this range (never 0:
   * root ignores the process limit), taken in turn: `[first, first + count)`. Default 200000, 1000 of them.
   */
  uids?: { first: number; count: number };
}

/** The docker backend has no way yet to reach named hosts, and never gives a container the host's network. */
export class ShellContainerNetworkError extends Error {
  override readonly name = 'ShellContainerNetworkError';
  readonly code = 'shell_container_network';
  constructor(hosts: readonly string[]) {
    super(
      `this executor runs shell.exec in Docker containers, which have no network; the call's policy names hosts (${hosts.join(', ')}) it cannot reach there. ` +
        'Run the command without network, or on an executor whose shell.exec uses bubblewrap.',
    );
  }
}

/** A file the command changed had changed in the workspace too since it was copied in: the rest is not written back. */
export class ShellWriteBackConflictError extends Error {
  override readonly name = 'ShellWriteBackConflictError';
  readonly code = 'shell_write_back_conflict';
  constructor(conflict: WorkspaceConflictError, done: readonly ScratchChange[], left: number) {
    const doneText = done.length === 0 ? 'nothing was written back' : `already written back: ${done.map(describeChange).join(', ')}`;
    super(
      `the command ran, but ${conflict.path} changed in the workspace while it ran (now at revision ${conflict.current}, copied in at ${conflict.ifRevision}); ` +
        `${doneText}; ${left} change${left === 1 ? '' : 's'} not written back. Read the file again and run the command on what it holds now.`,
      { cause: conflict },
    );
  }
}

const ShellExecInput = z.object({
  command: z.string().min(1).max(64 * 1024).describe('A /bin/sh command line, run in the workspace directory, like "python3 analyse.py > report.md"'),
  secrets: z
    .array(SecretName)
    .max(32)
    .optional()
    .describe('Names of secrets your policy grants, each given to the command as an environment variable of that name'),
});

/**
 * The `shell.exec` tool: the run's workspace copied into a scratch directory, the command run there in
 * a bubblewrap sandbox (no network, the system read-only, only that directory writable, the limits
 * enforced), then what it changed written back, each file only if no one changed it meanwhile. Not
 * idempotent: a command cut off mid-run may have changed anything, so a crash leaves its outcome unknown.
 */
export function shellExecTool(options: ShellExecOptions = {}): ToolSpec<z.infer<typeof ShellExecInput>> {
  const limits = SandboxLimits.parse(options.limits ?? {});
  const backend = options.backend ?? 'bubblewrap';
  const image = options.image ?? defaultShellImage;
  const uids = runningAsRoot() ? uidTaker(options.uids ?? { first: 200_000, count: 1_000 }) : undefined;
  let scratchRoot: Promise<string> | undefined;
  let host: HostLayout | undefined;
  return defineTool({
    name: 'shell.exec',
    description:
      'Run a shell command (/bin/sh -c) in a sandbox holding a copy of the workspace shared by this run and its subagents, ' +
      'then write back the files it created, changed or deleted. ' +
      (backend === 'docker' ? 'No network at all; ' : 'No network, but the hosts your policy names, through HTTP_PROXY/HTTPS_PROXY; ') +
      'only the workspace directory (and /tmp, discarded) is writable. ' +
      `Limits: ${limits.wallTimeMs / 1000} s of wall time, ${limits.cpuSeconds} s of CPU, ${Math.round(limits.memoryBytes / 2 ** 20)} MiB of memory per ${backend === 'docker' ? 'container' : 'process'}, ` +
      `${limits.outputBytes} bytes of stdout and of stderr each. The result names the files written back and deleted.`,
    input: ShellExecInput,
    idempotent: false,
    // Copying in and writing back on top of the command's own time.
    timeoutMs: limits.wallTimeMs + limits.killGraceMs + 60_000,
    secrets: (input) => input.secrets ?? [],
    run: async (input, context) => {
      if (backend === 'docker' && context.namedHosts.length > 0) throw new ShellContainerNetworkError(context.namedHosts);
      const root = await (scratchRoot ??= makeScratchRoot(options.scratchRoot));
      host ??= hostLayout();
      const runner = backend === 'docker' ? inContainer(image) : undefined;
      return runInScratch(input.command, context, { limits, root, host, ...(uids ? { runAs: uids() } : {}), ...(runner ? { runner } : {}) });
    },
  });
}

interface CallSetting {
  limits: SandboxLimits;
  root: string;
  host: HostLayout;
  runAs?: number;
  /** Runs the command in place of the bubblewrap sandbox, over the same scratch directory. */
  runner?: CommandRunner;
}

/** Runs one call's command over its scratch directory: the step a backend does its own way. */
type CommandRunner = (dir: string, command: string, context: ToolContext, setting: CallSetting) => Promise<SandboxRun>;

/** The docker backend's run: a container of the call's own, as the call's uid (or the executor's own). */
function inContainer(image: string): CommandRunner {
  return (scratchDir, command, context, setting) => {
    const uid = setting.runAs ?? process.getuid?.() ?? 65534;
    const gid = setting.runAs ?? process.getgid?.() ?? 65534;
    const name = containerName(randomBytes(8).toString('hex'));
    const plan = { image, name, scratchDir, command, limits: setting.limits, user: { uid, gid }, secrets: context.secrets };
    return runInContainer(containerCommand(plan), name, setting.limits, context.signal);
  };
}

async function runInScratch(command: string, context: ToolContext, setting: CallSetting): Promise<JsonValue> {
  const dir = await mkdtemp(join(setting.root, 'call-'));
  let proxy: EgressProxy | undefined;
  try {
    if (setting.runAs !== undefined) await chown(dir, setting.runAs, setting.runAs);
    await chmod(dir, 0o700);
    const copied = await materialise(context.workspace, dir, setting.limits, setting.runAs);
    const run = setting.runner ? await setting.runner(dir, command, context, setting) : await runBwrap();
    // Stopped (the call timed out or was interrupted): the call has failed, and writes nothing after it.
    if (run.end === 'stopped') return runReport(run, setting.limits, []);
    const { changes, refused } = scratchChanges(copied.files, await scanScratch(dir, setting.limits), workspacePathProblem);
    await writeBack(changes, dir, context);
    return { ...runReport(run, setting.limits, changes), ...(refused.length ? { notWrittenBack: refused } : {}), ...(copied.skipped.length ? { notCopiedIn: copied.skipped } : {}) };
  } finally {
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.proxy.sock`, { force: true });
  }

  async function runBwrap(): Promise<SandboxRun> {
    const proxySocket = `${dir}.proxy.sock`;
    // The network: none, unless the call's grant names hosts; then those alone, through a proxy of its own.
    proxy = context.namedHosts.length === 0 ? undefined : await startEgressProxy(proxySocket, context.namedHosts, setting.runAs);
    const plan = {
      scratchDir: dir,
      command,
      limits: setting.limits,
      secrets: context.secrets,
      host: setting.host,
      ...(setting.runAs === undefined ? {} : { runAs: setting.runAs }),
      ...(proxy === undefined ? {} : { proxySocket }),
    };
    const run = await runSandboxed(sandboxCommand(plan), setting.limits, context.signal);
    await proxy?.close();
    return run;
  }
}

/** Writes the changes in order, each conditioned on the revision it was copied in at; a conflict stops the rest. */
async function writeBack(changes: readonly ScratchChange[], dir: string, { workspace, signal }: ToolContext): Promise<void> {
  for (const [index, change] of changes.entries()) {
    signal.throwIfAborted();
    try {
      if (change.kind === 'write') await workspace.write(change.path, await readScratchFile(dir, change.path), { ifRevision: change.ifRevision });
      else await workspace.delete(change.path, { ifRevision: change.ifRevision });
    } catch (error) {
      if (error instanceof WorkspaceConflictError) throw new ShellWriteBackConflictError(error, changes.slice(0, index), changes.length - index);
      throw error;
    }
  }
}

function runReport(run: SandboxRun, limits: SandboxLimits, changes: readonly ScratchChange[]): { [key: string]: JsonValue } {
  const paths = (kind: ScratchChange['kind']) => changes.filter((change) => change.kind === kind).map((change) => change.path);
  return {
    exitCode: run.exitCode,
    ...endNote(run, limits),
    stdout: run.stdout,
    stderr: run.stderr,
    written: paths('write'),
    deleted: paths('delete'),
  };
}

/** Why the command ended, when it did not end on its own: what the model needs to try again differently. */
function endNote(run: SandboxRun, limits: SandboxLimits): { note?: string } {
  switch (run.end) {
    case 'timed out':
      return { note: `killed: it ran past its ${limits.wallTimeMs} ms wall time` };
    case 'output limit':
      return { note: `killed: it wrote more than ${limits.outputBytes} bytes to stdout or stderr; the output shown is cut there` };
    case 'stopped':
      return { note: 'killed: the call was stopped; nothing was written back' };
    case 'exited':
      return signalNote(run.exitCode, limits);
  }
}

/** bwrap and docker exit 128 + n when the command died of signal n. */
function signalNote(exitCode: number | null, limits: SandboxLimits): { note?: string } {
  if (exitCode === 128 + 24) return { note: `killed by signal 24: the CPU time limit is ${limits.cpuSeconds} s` };
  if (exitCode === 128 + 9) {
    const memory = `${Math.round(limits.memoryBytes / 2 ** 20)} MiB`;
    return { note: `killed by signal 9: past the CPU time limit (${limits.cpuSeconds} s), or in a container past its memory limit (${memory}); a process killed otherwise shows the same` };
  }
  if (exitCode === 128 + 25) return { note: `killed: a file grew past the ${limits.fileBytes} byte limit` };
  return {};
}

function describeChange(change: ScratchChange): string {
  return change.kind === 'write' ? change.path : `${change.path} (deleted)`;
}

function workspacePathProblem(path: string): string | undefined {
  const parsed = WorkspacePath.safeParse(path);
  return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join('; ');
}

/**
 * The directory scratch directories are made in: one per uid under `parent`, made once and kept (the
 * calls' own are removed). Others may pass through it (the sandbox's uid must) but not list it. One
 * found there already must be a plain directory of ours that no one else can write: in a shared /tmp,
 * another user could have put a link or a directory of theirs there first.
 */
async function makeScratchRoot(parent = tmpdir()): Promise<string> {
  const root = join(parent, `signalbox-shell-${process.getuid?.() ?? 'user'}`);
  await mkdir(root, { mode: 0o711 }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  const found = await lstat(root);
  const ours = process.getuid === undefined || found.uid === process.getuid();
  if (!found.isDirectory() || !ours || (found.mode & 0o022) !== 0) {
    throw new Error(`${root} is not a directory of this user's that only it may write: remove it, or give shell.exec another scratchRoot`);
  }
  await chmod(root, 0o711);
  return root;
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The next uid of the range each time, round and round: calls at once run as different uids, each with its own process limit. */
function uidTaker({ first, count }: { first: number; count: number }): () => number {
  if (first <= 0 || count <= 0) throw new Error('shell.exec runs commands as uids above 0: give a first uid and a count above 0');
  let next = 0;
  return () => first + (next++ % count);
}
