/**
 * Node CPU per step of this tree against another commit's, on the same machine, alternately (A B A B A B):
 * the commit is checked out into a temporary git worktree (its dependencies installed offline, the
 * tooling linked), each tree's own step-overhead benchmark runs in turn, and the ratio of the medians,
 * this tree / the baseline, is held to ≤ 0.5 (#25: CPU per step halved). The figure compared is the
 * step-overhead's `cpuMsPerStep`: this process's CPU (every service runs in it) per step of a session with
 * the permission gate, the kind of session every commit since the gate measures under that name.
 * Not a benchmark of its own (run.ts leaves it out); removes the worktree when done or interrupted. Both trees
 * warm up over one session, as every commit before the step bench's longer warm-up did (an older tree ignores
 * BENCH_WARMUP_SESSIONS).
 *
 * Each tree runs 80 sessions of 50 steps (BENCH_SESSIONS sets another count), not the step bench's 10: V8
 * compiles hot code on worker threads of the process for several seconds after the warm-up session,
 * and that CPU is counted too. Over 10 sessions it is a large, fixed share of both trees' figures and
 * pulls their ratio towards 1; over 80 it is a small one (per-thread CPU, NOTES.md, #25 twentieth sitting).
 *
 * BENCH_COMPARE_KIND names the kind of this tree's sessions (default `permission`; `permissionInProcess`: the
 * same sessions with the calls and checks in the actor's process), BENCH_BASELINE_KIND the baseline's
 * (default `permission`, the one kind every commit since the gate has; a later commit's other kinds).
 *
 *   node test/bench/compare.ts <baseline-commit>    (env: BENCH_PAIRS=3, BENCH_COMPARE_KIND, BENCH_BASELINE_KIND; the step-overhead's own, e.g. BENCH_SESSIONS)
 *   e.g. node test/bench/compare.ts 193f50f    (main when #25's work began)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine, type RatioVerdict } from './harness/ratio-report.ts';
import { median, ms } from './harness/stats.ts';

const run = promisify(execFile);
const pairs = Number(process.env['BENCH_PAIRS'] ?? 3);
const sessions = process.env['BENCH_SESSIONS'] ?? '80';
const target = 0.5;
const currentKind = process.env['BENCH_COMPARE_KIND'] ?? 'permission';
const baselineKind = process.env['BENCH_BASELINE_KIND'] ?? 'permission';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const baselineArgument = process.argv[2];
if (baselineArgument === undefined || baselineArgument.startsWith('-')) {
  console.error('usage: node test/bench/compare.ts <baseline-commit>');
  process.exit(2);
}

/** One tree's step-overhead run: its JSON line's figures. */
interface TreeRun {
  cpuMsPerStep: number;
  stepP50Ms: number;
}

await runBench('compare', 30 * 60_000, async (teardown) => {
  const git = async (...args: string[]) => (await run('git', args, { cwd: root })).stdout.trim();
  const baseline = await git('rev-parse', '--verify', `${baselineArgument}^{commit}`);
  const current = await git('rev-parse', 'HEAD');
  const dirty = (await git('status', '--porcelain', '--untracked-files=no')) !== '';
  console.log(`compare · node CPU per step · this tree ${current}${dirty ? ' (with uncommitted changes)' : ''} (${currentKind}) against ${baseline} (${baselineKind}) · ${pairs} pairs, alternating, ${sessions} sessions each`);

  const worktree = await mkdtemp(join(tmpdir(), 'signalbox-baseline-'));
  teardown.add('baseline worktree', async () => {
    await git('worktree', 'remove', '--force', worktree).catch(() => undefined);
    await rm(worktree, { recursive: true, force: true });
    await git('worktree', 'prune');
  });
  await git('worktree', 'add', '--detach', worktree, baseline);
  // The tooling (node, nats-server, eslint...) is not in git: the baseline uses this tree's.
  await symlink(await realpath(join(root, '.tooling')), join(worktree, '.tooling'));
  console.log(`installing the baseline's dependencies offline in ${worktree}`);
  await run('pnpm', ['install', '--offline', '--frozen-lockfile'], { cwd: worktree, maxBuffer: 16 * 1024 * 1024 });

  const trees = { current: root, baseline: worktree };
  const runs: Record<keyof typeof trees, TreeRun[]> = { current: [], baseline: [] };
  for (let pair = 1; pair <= pairs; pair++) {
    for (const tree of ['current', 'baseline'] as const) {
      const result = await stepOverhead(trees[tree], tree === 'current' ? currentKind : baselineKind);
      runs[tree].push(result);
      console.log(`  ${String(pair)}. ${tree.padEnd(8)} node CPU ${ms(result.cpuMsPerStep)} ms a step, step p50 ${ms(result.stepP50Ms)} ms`);
    }
    // The machine drifts between pairs more than within one: each pair's own ratio shows how far.
    console.log(`     pair ${String(pair)}: ${(runs.current[pair - 1]!.cpuMsPerStep / runs.baseline[pair - 1]!.cpuMsPerStep).toFixed(2)}x`);
  }
  const cpu = (tree: keyof typeof trees) => median(runs[tree].map((each) => each.cpuMsPerStep));
  const verdict: RatioVerdict = { ratio: cpu('current') / cpu('baseline'), target, atLeast: false };
  console.log(`  medians: this tree ${ms(cpu('current'))} ms, baseline ${ms(cpu('baseline'))} ms a step`);
  console.log(verdictLine('node CPU per step, this tree / baseline', verdict));
  printSummary('compare', verdict, { baseline, current, currentKind, baselineKind, currentCpuMsPerStep: cpu('current'), baselineCpuMsPerStep: cpu('baseline'), pairs });
});

/**
 * Runs `tree`'s step-overhead in a process of its own (it starts its own nats-server) without the probed
 * sessions, and with the sessions of `kind` only where the tree knows the setting (older trees run only
 * permission-gated ones, and print their figures as `cpuMsPerStep` and `stepP50Ms`).
 */
function stepOverhead(tree: string, kind: string): Promise<TreeRun> {
  const env = { ...process.env, SIGNALBOX_TEST_HARNESS: process.env['SIGNALBOX_TEST_HARNESS'] ?? 'process', BENCH_PROBED_SESSIONS: '0', BENCH_STEP_KINDS: kind, BENCH_SESSIONS: sessions, BENCH_WARMUP_SESSIONS: '1' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(tree, 'test', 'bench', 'step-overhead.ts')], { cwd: tree, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = output.trim().split('\n').at(-1) ?? '';
      try {
        const summary = JSON.parse(last) as Record<string, unknown>;
        const cpuMsPerStep = kind === 'permission' ? summary['cpuMsPerStep'] : summary[`${kind}CpuMsPerStep`];
        const stepP50Ms = kind === 'permission' ? summary['stepP50Ms'] : summary[`${kind}StepP50Ms`];
        if (code !== 0 || typeof cpuMsPerStep !== 'number' || typeof stepP50Ms !== 'number') throw new Error(`exit ${code}`);
        resolve({ cpuMsPerStep, stepP50Ms });
      } catch (error) {
        reject(new Error(`step-overhead in ${tree} gave no figures (${error instanceof Error ? error.message : String(error)}):\n${output.slice(-2000)}`));
      }
    });
  });
}
