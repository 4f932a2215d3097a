import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
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
 * Runs the sandbox and waits until every process in it is gone: its pipes closed, and its pid
 * namespace's init (which bwrap names on `--info-fd 3`) dead, which the kernel allows only once every
 * other process in the namespace is. On timeout the command's processes are sent SIGTERM, and after
 * `killGraceMs` the init is killed, and with it every process left. Past the output cap, or when
 * `signal` aborts, it is killed at once.
 */
export function runSandboxed(command: SandboxCommand, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxRun> {
  const child = spawn(command.file, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const [, out, err, info] = child.stdio;
  if (!(out instanceof Readable && err instanceof Readable && info instanceof Readable)) return Promise.reject(new Error('the sandbox was started without its pipes'));
  const init = sandboxInit(info);
  const stopper = (closed: () => boolean): Stopper => ({
    // The namespace's init, not bwrap: bwrap then reaps it and exits. Before there is one, bwrap itself.
    // Never once the sandbox is gone: its pid may be another process's by then.
    kill: () => void init.current().then((pid) => closed() || (pid !== undefined && signalQuietly(pid, 'SIGKILL')) || child.kill('SIGKILL')),
    terminate: () => init.current().then((pid) => (closed() ? undefined : terminateSandbox(pid))),
  });
  return supervise({ child, out, err }, limits, signal, stopper, () => init.current().then(untilDead));
}

/** How the executor stops one kind of sandbox: asks its processes to stop, or kills them all at once. */
export interface Stopper {
  /** Sends SIGTERM; resolves once sent. */
  terminate: () => Promise<void>;
  /** Kills every process in the sandbox. */
  kill: () => void;
}

/**
 * Holds a started sandbox to its limits: its output capped (past either cap it is killed at once), its
 * wall time (SIGTERM, then after `killGraceMs` the kill), and killed at once when `signal` aborts. Resolves
 * with how it went once its process has closed and `gone` (what makes sure nothing of it is left) has
 * resolved. `stopper` is told whether the process has closed, after which nothing may be signalled.
 */
export function supervise(
  started: { child: ChildProcess; out: Readable; err: Readable },
  limits: SandboxLimits,
  signal: AbortSignal,
  stopper: (closed: () => boolean) => Stopper,
  gone: () => Promise<void>,
): Promise<SandboxRun> {
  return new Promise((resolve, reject) => {
    let end: SandboxEnd = 'exited';
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const { terminate, kill } = stopper(() => closed);
    const stop = (why: SandboxEnd, grace: boolean) => {
      if (end !== 'exited') return;
      end = why;
      if (!grace) return kill();
      void terminate().finally(() => closed || timers.push(setTimeout(kill, limits.killGraceMs)));
    };
    const onAbort = () => stop('stopped', false);
    const stdout = cappedOutput(started.out, limits.outputBytes, () => stop('output limit', false));
    const stderr = cappedOutput(started.err, limits.outputBytes, () => stop('output limit', false));
    timers.push(setTimeout(() => stop('timed out', true), limits.wallTimeMs));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    started.child.on('error', (error) => {
      done();
      void gone().finally(() => reject(error));
    });
    started.child.on('close', (code, killedBy) => {
      done();
      const run = { end, exitCode: killedBy === null ? code : null, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated() || stderr.truncated() };
      void gone().then(() => resolve(run), reject);
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

const BwrapInfo = z.object({ 'child-pid': z.number().int().positive() });

/**
 * The host pid of the sandbox's init, from what bwrap writes on its info fd (`{"child-pid": …}`) as
 * soon as it has made it: `current()` resolves to it once known, or to undefined if bwrap never says.
 */
function sandboxInit(info: Readable): { current(): Promise<number | undefined> } {
  let text = '';
  const known = new Promise<number | undefined>((resolve) => {
    info.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > 4_096) info.destroy();
    });
    info.on('close', () => {
      const parsed = BwrapInfo.safeParse(parsedJson(text));
      resolve(parsed.success ? parsed.data['child-pid'] : undefined);
    });
  });
  return { current: () => known };
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Resolves once the init `pid` is dead (gone, or a zombie left to the host's pid 1): the kernel kills
 * every other process in its namespace before that. Polls /proc: nothing signals it to a non-parent.
 */
async function untilDead(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + deadNamespaceWaitMs;
  while (Date.now() < deadline) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The state follows the command name's closing parenthesis.
    if (stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await sleep(20);
  }
}

/** How long a dying namespace's processes may take to go before the call returns anyway. */
const deadNamespaceWaitMs = 10_000;

/**
 * Sends SIGTERM to every process in the sandbox's pid namespace but its init, found through /proc.
 * Best effort: a process that is gone, or one that ignores it, is killed with the namespace after the grace.
 */
async function terminateSandbox(init: number | undefined): Promise<void> {
  if (init === undefined) return;
  try {
    const namespace = await readlink(`/proc/${init}/ns/pid`);
    for (const name of await readdir('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === init) continue;
      if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined)) === namespace) signalQuietly(pid, 'SIGTERM');
    }
  } catch {
    // The sandbox is gone already: nothing to stop.
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
