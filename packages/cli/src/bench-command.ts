import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** `bench --help`'s list: each benchmark the runner would run (every `*.ts` beside it), with what it measures. */
export function benchmarkList(): string {
  if (!existsSync(runner)) return '\nThe benchmarks ship with the source tree (test/bench/); there is none here.';
  const folder = dirname(runner);
  const names = readdirSync(folder)
    .filter((file) => file.endsWith('.ts') && file !== basename(runner))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name) => `  ${name.padEnd(width)}  ${benchmarkTitle(readFileSync(join(folder, `${name}.ts`), 'utf8'))}`);
  return ['', 'Benchmarks (test/bench/):', ...rows].join('\n');
}

/** What a benchmark measures: its opening doc comment up to the first stop, colon or parenthesis. */
export function benchmarkTitle(source: string): string {
  const comment = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const text = comment.replace(/^\s*\* ?/gm, '').replace(/\s+/g, ' ').trim();
  return text.split(/[.:(]/, 1)[0]?.trim() ?? '';
}
