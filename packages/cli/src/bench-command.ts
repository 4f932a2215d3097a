import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The benchmark runner of the source tree this CLI runs from. */
const runner = fileURLToPath(new URL('../../../test/bench/run.ts', import.meta.url));

/**
 * Runs the benchmarks (all, or those named), each against a nats-server of its own, and resolves to
 * the runner's exit code: non-zero only when a benchmark could not measure.
 */
export async function bench(names: readonly string[]): Promise<number> {
  if (!existsSync(runner)) throw new Error(`the benchmarks ship with the source tree (test/bench/run.ts): no ${runner} here`);
  const child = spawn(process.execPath, [runner, ...names], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
