import { spawn, type ChildProcess } from 'node:child_process';
import { withTimeout, type Teardown } from './lifecycle.ts';

/** Worker processes started from one script; each says `ready` on stdout once it is consuming. */
export interface WorkerProcesses {
  /** Their process ids, in start order. */
  readonly pids: readonly (number | undefined)[];
  /** SIGTERM to each (it drains), SIGKILL to any still alive after `graceMs`; resolves when all have exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `count` node processes running `script` with `env` added, and resolves once every one has
 * printed `ready`. Their stderr passes through; they are stopped with the benchmark whatever happens.
 */
export async function startWorkerProcesses(
  teardown: Teardown,
  script: URL,
  count: number,
  env: Record<string, string>,
  readyTimeoutMs = 15_000,
): Promise<WorkerProcesses> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [script.pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  let stopped: Promise<void> | undefined;
  const stop = (graceMs = 5_000) => (stopped ??= Promise.all(children.map((child) => stopChild(child, graceMs))).then(() => undefined));
  teardown.add(`${count} × ${script.pathname.split('/').at(-1) ?? 'worker'}`, () => stop());
  await withTimeout(Promise.all(children.map(readyOf)), readyTimeoutMs, `starting ${count} workers`);
  return { pids: children.map((child) => child.pid), stop };
}

function readyOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.split('\n').some((line) => line.trim() === 'ready')) return;
      // What a worker prints after `ready` (its logs) is read and dropped, never kept: the pipe must not
      // fill, nor the benchmark's own process grow and slow with it.
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`a worker exited with ${signal ?? code} before it was ready`)));
  });
}

/** SIGTERM to `child` (it drains or flushes), SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls `count` until it reaches `expected`; resolves with when it did (performance.now()). */
export async function waitForCount(count: () => Promise<number>, expected: number, timeoutMs: number, pollMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await count();
    if (seen >= expected) return performance.now();
    if (performance.now() > deadline) throw new Error(`only ${seen} of ${expected} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
