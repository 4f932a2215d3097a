import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The benchmark runner of the source tree this CLI runs from, and the script that finds it a current nats-server. */
const runner = fileURLToPath(new URL('../../../test/bench/run.ts', import.meta.url));
const withNatsServer = fileURLToPath(new URL('../../../scripts/nats-server.sh', import.meta.url));

/**
 * Runs the benchmarks (all, or those named), each against a current nats-server of its own, and resolves to
 * the runner's exit code: non-zero only when a benchmark could not measure.
 */
export async function bench(names: readonly string[]): Promise<number> {
  if (!existsSync(runner)) throw new Error(`the benchmarks ship with the source tree (test/bench/run.ts): no ${runner} here`);
  const child = spawn('bash', [withNatsServer, process.execPath, runner, ...names], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
