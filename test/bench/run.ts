/**
 * Runs every benchmark in this folder (each `*.ts` file here but this one, compare.ts, profile-summary.ts and peers.ts; helpers live in harness/),
 * one after another, each in its own process with its own nats-server, then sums them up.
 *
 *   node test/bench/run.ts [name ...]    (names filter: `node test/bench/run.ts step-overhead`; `concurrency-in-process` is
 *   concurrency again with the calls in the actor's process)
 *
 * Exits non-zero only when a benchmark could not measure (crashed or overran); a slow result is reported, never failed.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultTimeoutMs = 90_000;
/**
 * Benchmarks that need longer than the default, and why: concurrency runs 1,000 sessions at once besides
 * its rounds; history fills the events stream with 100,000 events between its two measurements;
 * executor-scaling measures its headline three times (#25 asks for three runs out of three); step-overhead warms
 * each kind of session up over 4,000 steps before it measures.
 */
const timeoutsMs: Record<string, number> = { concurrency: 300_000, history: 180_000, 'executor-scaling': 500_000, 'step-overhead': 250_000 };
const timeoutOf = (name: string) => Number(process.env['BENCH_TIMEOUT_MS'] ?? timeoutsMs[scriptOf(name)] ?? defaultTimeoutMs);
/** Benchmarks run a second time with settings of their own, under a name of their own: the script, and what its environment adds. */
const variants: Record<string, { script: string; env: Record<string, string> }> = {
  // The runtime as one process whose executor runs the actor's calls (SIGNALBOX_EXECUTOR_IN_PROCESS).
  'concurrency-in-process': { script: 'concurrency', env: { BENCH_IN_PROCESS: '1' } },
};
const scriptOf = (name: string) => variants[name]?.script ?? name;
const folder = dirname(fileURLToPath(import.meta.url));

interface Outcome {
  name: string;
  ok: boolean;
  /** The benchmark's last line, when it is the JSON summary. */
  summary: Record<string, unknown> | undefined;
  seconds: number;
}

/**
 * This runner, compare.ts (it measures two trees against each other, given a commit), profile-summary.ts (it reads a
 * profile) and peers.ts (it needs the peers installed and a network namespace: scripts/peers.sh runs it).
 */
const notBenchmarks = new Set([basename(fileURLToPath(import.meta.url)), 'compare.ts', 'profile-summary.ts', 'peers.ts']);
const wanted = process.argv.slice(2);
const scripts = (await readdir(folder, { withFileTypes: true }))
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !notBenchmarks.has(entry.name))
  .map((entry) => entry.name.slice(0, -'.ts'.length));
const benches = [...scripts, ...Object.keys(variants).filter((name) => scripts.includes(scriptOf(name)))]
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (benches.length === 0) {
  console.error(wanted.length > 0 ? `no benchmark named ${wanted.join(', ')} in ${folder}` : `no benchmarks in ${folder}`);
  process.exit(1);
}

const outcomes: Outcome[] = [];
for (const name of benches) {
  console.log(`\n── ${name} ${'─'.repeat(Math.max(0, 70 - name.length))}`);
  outcomes.push(await runOne(name));
}
console.log(`\n── summary ${'─'.repeat(66)}`);
for (const outcome of outcomes) console.log(summaryLine(outcome));
if (outcomes.some((outcome) => !outcome.ok)) process.exitCode = 1;

/** Runs one benchmark, passing its output through; SIGTERM after the timeout (it cleans up), SIGKILL if it lingers. */
function runOne(name: string): Promise<Outcome> {
  const started = performance.now();
  // Processes, not containers, unless asked: the figures in NOTES.md were measured so.
  const env = { ...process.env, SIGNALBOX_TEST_HARNESS: process.env['SIGNALBOX_TEST_HARNESS'] ?? 'process', ...variants[name]?.env };
  const child = spawn(process.execPath, [join(folder, `${scriptOf(name)}.ts`)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let lastLine = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    const complete = lines.filter((line) => line.trim() !== '');
    if (complete.length > 0) lastLine = complete.at(-1) ?? lastLine;
  });
  let timedOut = false;
  const perBenchTimeoutMs = timeoutOf(name);
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`${name}: no result after ${perBenchTimeoutMs} ms; stopping it`);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, perBenchTimeoutMs);
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const summary = parseSummary(pending.trim() || lastLine);
      const ok = code === 0 && !timedOut && summary !== undefined;
      if (!ok) console.error(`${name}: exited with ${signal ?? code}${summary ? '' : ', without a JSON summary line'}`);
      resolve({ name, ok, summary, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function parseSummary(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function summaryLine({ name, ok, summary, seconds }: Outcome): string {
  const took = `${seconds.toFixed(1)} s`;
  if (!ok || !summary) return `  ${name.padEnd(24)} FAILED to measure (${took})`;
  // A summary may hold more ratios than its headline (`ratios`: each with what it is): one line each, under it.
  const more = Array.isArray(summary['ratios']) ? (summary['ratios'] as unknown[]).flatMap((each) => (each && typeof each === 'object' ? [ratioText(each as Record<string, unknown>)] : [])) : [];
  return [`  ${name.padEnd(24)} ${ratioText(summary)}  ${took}`, ...more.map((line) => `  ${''.padEnd(26)}${line}`)].join('\n');
}

function ratioText(summary: Record<string, unknown>): string {
  const what = typeof summary['what'] === 'string' ? `${summary['what']}: ` : '';
  const ratio = typeof summary['ratio'] === 'number' ? `${summary['ratio']}x` : '';
  // A summary says `atLeast: true` when its ratio should reach the target rather than stay under it.
  const bound = summary['atLeast'] === true ? '≥' : '≤';
  const target = typeof summary['target'] === 'number' ? ` (target ${bound} ${summary['target']}x: ${summary['met'] ? 'met' : 'NOT met'})` : '';
  return `${what}${ratio}${target}`;
}
