import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerCliEnvironment } from '../core/container-plan.ts';
import type { SandboxCommand, SandboxLimits } from '../core/sandbox-plan.ts';
import { supervise, type SandboxRun, type Stopper } from './sandbox-run.ts';

/**
 * Runs `docker run` (the command of `containerCommand`) and returns once its container is gone. The
 * container is stopped by its name, never by killing the CLI (which would leave it running): on timeout
 * SIGTERM, then SIGKILL after `killGraceMs`; past the output cap, or when `signal` aborts, SIGKILL at
 * once. SIGKILL kills the container's pid 1, and the kernel every other process of its pid namespace.
 * `--rm` removes it; `docker rm -f` after makes sure, even when the CLI failed.
 */
export function runInContainer(command: SandboxCommand, name: string, limits: SandboxLimits, signal: AbortSignal): Promise<SandboxRun> {
  const child = spawn(command.file, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const [, out, err] = child.stdio;
  if (!(out instanceof Readable && err instanceof Readable)) return Promise.reject(new Error('docker run was started without its pipes'));
  const stopper = (closed: () => boolean): Stopper => ({
    kill: () => void killUntilGone(name, closed),
    terminate: async () => void (await docker(['kill', '--signal', 'TERM', name])),
  });
  return supervise({ child, out, err }, limits, signal, stopper, () => removeContainer(name));
}

/**
 * SIGKILL to the container, again until `docker run` has returned: asked before the daemon has made
 * it, `docker kill` finds no container, and the one made a moment later must not run on.
 */
async function killUntilGone(name: string, gone: () => boolean): Promise<void> {
  while (!gone()) {
    if (await docker(['kill', '--signal', 'KILL', name])) return;
    await sleep(100);
  }
}

/** Removes the container if it is still there (`--rm` has removed it, unless `docker run` failed midway). */
async function removeContainer(name: string): Promise<void> {
  await docker(['rm', '--force', name]);
}

/** Runs a docker CLI command quietly: whether it succeeded. */
function docker(args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { env: dockerCliEnvironment, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
