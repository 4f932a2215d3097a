import { spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { SandboxCommand, SandboxLimits } from '../core/sandbox-plan.ts';

/** Why the command stopped: on its own, or killed by the executor. */
export type SandboxEnd = 'exited' | 'timed out' | 'output limit' | 'stopped';

/** How one sandboxed command went: bwrap's exit status (128 + n when the command died of signal n), and its output, capped. */
export interface SandboxRun {
  end: SandboxEnd;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Output past `outputBytes` was not kept, on stdout, stderr or both. */
  truncated: boolean;
}

/**
 * Runs the sandbox and waits until every process in it is gone (its pipes closed). On timeout the
 * command's processes are sent SIGTERM, and after `killGraceMs` bwrap is killed, which kills its pid
 * namespace's init (`--die-with-parent`) and with it every process left in the sandbox. Past the output
 * cap, or when `signal` aborts, bwrap is killed at once.
 */
export function runSandboxed(command: SandboxCommand, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let end: SandboxEnd = 'exited';
    const timers: NodeJS.Timeout[] = [];
    // The namespace's init, not bwrap: bwrap then reaps it and exits, leaving no zombie for the host's init to reap.
    const kill = () => void killSandbox(child.pid).then((killed) => killed || child.kill('SIGKILL'));
    const stop = (why: SandboxEnd, grace: boolean) => {
      if (end !== 'exited') return;
      end = why;
      if (!grace || child.pid === undefined) return kill();
      void terminateSandbox(child.pid).finally(() => timers.push(setTimeout(kill, limits.killGraceMs)));
    };
    const onAbort = () => stop('stopped', false);
    const stdout = cappedOutput(child.stdout, limits.outputBytes, () => stop('output limit', false));
    const stderr = cappedOutput(child.stderr, limits.outputBytes, () => stop('output limit', false));
    timers.push(setTimeout(() => stop('timed out', true), limits.wallTimeMs));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      for (const timer of timers) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      done();
      reject(error);
    });
    child.on('close', (code, killedBy) => {
      done();
      resolve({ end, exitCode: killedBy === null ? code : null, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated() || stderr.truncated() });
    });
  });
}

/** Keeps the first `cap` bytes of a stream; past them calls `over` once and keeps nothing more. */
function cappedOutput(stream: Readable, cap: number, over: () => void) {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  stream.on('data', (chunk: Buffer) => {
    if (cut) return;
    if (size + chunk.length > cap) {
      chunks.push(chunk.subarray(0, cap - size));
      size = cap;
      cut = true;
      return over();
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), truncated: () => cut };
}

/** bwrap's only child: pid 1 of the sandbox's pid namespace, whose death kills every process in it. Undefined before bwrap made it, or after it died. */
async function sandboxInit(bwrapPid: number): Promise<number | undefined> {
  const children = await readFile(`/proc/${bwrapPid}/task/${bwrapPid}/children`, 'utf8').catch(() => '');
  const init = Number(children.trim().split(/\s+/)[0]);
  return Number.isInteger(init) && init > 0 ? init : undefined;
}

/** SIGKILL to the namespace's init; false when there is none (yet) to kill. */
async function killSandbox(bwrapPid: number | undefined): Promise<boolean> {
  const init = bwrapPid === undefined ? undefined : await sandboxInit(bwrapPid);
  return init !== undefined && signalQuietly(init, 'SIGKILL');
}

/**
 * Sends SIGTERM to every process in the sandbox's pid namespace but its init: the namespace of bwrap's
 * child, found through /proc. Best effort: a process that is gone, or one that ignores it, is killed
 * with the namespace after the grace.
 */
async function terminateSandbox(bwrapPid: number): Promise<void> {
  try {
    const init = await sandboxInit(bwrapPid);
    if (init === undefined) return;
    const namespace = await readlink(`/proc/${init}/ns/pid`);
    for (const name of await readdir('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === init) continue;
      if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined)) === namespace) signalQuietly(pid, 'SIGTERM');
    }
  } catch {
    // The sandbox is gone already, or /proc hides it: the kill after the grace still ends it.
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): boolean {
  try {
    return process.kill(pid, signal);
  } catch {
    // Exited in between.
    return false;
  }
}
