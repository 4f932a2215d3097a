/**
 * How tool throughput scales across executor processes: jobs/s with 4 tool-executor processes ÷ with 1,
 * against the same ratio for raw JetStream consumers (4 processes pulling from one durable on a
 * work-queue stream, acking after the same wait, ÷ 1). The headline is runtime ratio / raw ratio: how
 * much of the scaling JetStream itself allows the executor keeps. Jobs are published straight to the
 * jobs stream (no session actor); a job is done when its result is in the inbox stream.
 *
 * Beside it, as context, the same ratio against raw consumers that also write what an executor writes
 * for each job (its result to a work-queue stream and a record created in a KV bucket, at once, before
 * the ack). A bare ack is one write a job to JetStream's store where the executor's design makes three,
 * so this ratio says how much of the scaling the executor keeps for the writes it has to make, as the
 * step benchmark's I/O floor does for a step. The writes' own scaling against the bare ack's is printed
 * too: the most an executor that makes them could reach of the headline.
 *
 * Scaling is measured where the machine has room for the extra processes: 2 calls at once a process,
 * on which raw consumers scale almost linearly. At 8 calls a process, printed beside it, 4 processes
 * saturate a 2-core machine, and the ratio says how much CPU a call costs (the executor validates the
 * job, records its result in the ledger and sends it; the raw consumer only acks), not how it scales.
 *
 * Each set of workers also prints its CPU a job, the workers' together and nats-server's (from /proc), so a
 * shortfall shows where the CPU went.
 *
 * #25 holds the scaling to at least 0.9 of raw in three runs out of three: the headline is measured
 * BENCH_RUNS times, each with fresh workers, and its verdict is the worst run's.
 *
 *   node test/bench/executor-scaling.ts
 *   (env: BENCH_JOBS=2000, BENCH_WAIT_MS=2, BENCH_CONCURRENCY=2, BENCH_SATURATED_CONCURRENCY=8, BENCH_PROCESSES=4, BENCH_REPEATS=3, BENCH_RUNS=3,
 *    BENCH_LOG_LEVEL=silent: the executors' LOG_LEVEL, `info` being a deployment's default)
 */
import { availableParallelism } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { naming } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { createRawJobs, publishRawJobs, publishToolJobs, rawJobs, rawWrites, streamMessages } from './harness/executor-jobs.ts';
import { runBench } from './harness/lifecycle.ts';
import { machineBusyMs, processCpuMs } from './harness/machine.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { median } from './harness/stats.ts';
import { startWorkerProcesses, waitForCount } from './harness/worker-processes.ts';

const jobs = Number(process.env['BENCH_JOBS'] ?? 2000);
const waitMs = Number(process.env['BENCH_WAIT_MS'] ?? 2);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 2);
const saturatedConcurrency = Number(process.env['BENCH_SATURATED_CONCURRENCY'] ?? 8);
const processes = Number(process.env['BENCH_PROCESSES'] ?? 4);
const repeats = Number(process.env['BENCH_REPEATS'] ?? 3);
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
/** Per process: a fresh process compiles its hot paths on the way, and each set of workers is measured warm. */
const warmupJobsPerProcess = 500;
const target = 0.9;
const drainTimeoutMs = 30_000;

const toolWorker = new URL('./harness/tool-executor-worker.ts', import.meta.url);
const rawWorker = new URL('./harness/raw-consumer-worker.ts', import.meta.url);

/** One set of workers: jobs done per second from the first publish to the last completion, median of its batches. */
interface Batch {
  kind: 'runtime' | 'raw' | 'rawWrites';
  processes: number;
  ms: number[];
  perSecond: number;
  /** Busy CPU of the whole machine over the batches: 2 is both cores kept busy. */
  cores: number;
  /** CPU µs a job, over the batches, of the workers together and of nats-server; undefined where /proc cannot tell. */
  workersUsPerJob: number | undefined;
  serverUsPerJob: number | undefined;
}

const workerNames: Record<Batch['kind'], string> = { runtime: 'tool-executor', raw: 'raw consumer', rawWrites: 'raw consumer + the writes' };

/** The three kinds of workers at one number of calls a process: their sets, their ratios, and the headline. */
interface Scaling {
  concurrency: number;
  batches: Batch[];
  runtimeRatio: number;
  rawRatio: number;
  ratio: number;
  /** Runtime ratio / the ratio of raw consumers making the executor's writes. */
  sameWritesRatio: number;
  /** Those consumers' ratio / the bare ack's: what the writes alone leave of the headline, the most an executor could reach. */
  writesCeiling: number;
}

if (processes < 2) throw new Error(`BENCH_PROCESSES is ${processes}: scaling compares several processes with one, so it must be at least 2`);

await runBench('executor-scaling', 480_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names);
  await createRawJobs(nats.nc);
  const jsm = await jetstreamManager(nats.nc);
  const runId = Date.now().toString(36);

  /** Tool jobs until every result is in the inbox (nothing consumes it here, so it only fills up). */
  const runtimeBatch = async (count: number, label: string) => {
    await jsm.streams.purge(names.streams.inbox);
    const started = performance.now();
    const publishing = publishToolJobs(nats.nc, names, `${runId}-${label}`, count);
    const done = await waitForCount(() => streamMessages(nats.nc, names.streams.inbox), count, drainTimeoutMs);
    await publishing;
    return done - started;
  };
  /** Raw jobs until the work queue is empty again: every one acked. */
  const rawBatch = async (count: number, label: string) => {
    await jsm.streams.purge(rawWrites.stream);
    const started = performance.now();
    await publishRawJobs(nats.nc, `${runId}-${label}`, count);
    const done = await waitForCount(async () => count - (await streamMessages(nats.nc, rawJobs.stream)), count, drainTimeoutMs);
    return done - started;
  };

  let sets = 0;
  const measure = async (kind: Batch['kind'], count: number, perProcess: number): Promise<Batch> => {
    const env = { NATS_URL: nats.server.url, BENCH_WAIT_MS: String(waitMs), BENCH_CONCURRENCY: String(perProcess), BENCH_WRITES: kind === 'rawWrites' ? '1' : '0' };
    const workers = await startWorkerProcesses(teardown, kind === 'runtime' ? toolWorker : rawWorker, count, env);
    const batch = kind === 'runtime' ? runtimeBatch : rawBatch;
    // Labels make the jobs' ids: a set reusing another's (BENCH_PROCESSES=1, or both concurrencies the same)
    // would have every job dropped as a duplicate, so each set of workers has a number of its own.
    const label = `${kind}${count}x${perProcess}-set${++sets}`;
    await batch(warmupJobsPerProcess * count, `${label}-warmup`);
    const ms: number[] = [];
    const busyBefore = machineBusyMs();
    const workersBefore = cpuMsOf(workers.pids);
    const serverBefore = cpuMsOf([nats.server.pid]);
    for (let repeat = 1; repeat <= repeats; repeat++) ms.push(await batch(jobs, `${label}-${repeat}`));
    const cores = (machineBusyMs() - busyBefore) / ms.reduce((sum, each) => sum + each, 0);
    const usPerJob = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : ((after - before) * 1000) / (jobs * repeats));
    const workersUsPerJob = usPerJob(workersBefore, cpuMsOf(workers.pids));
    const serverUsPerJob = usPerJob(serverBefore, cpuMsOf([nats.server.pid]));
    await workers.stop();
    return { kind, processes: count, ms, perSecond: jobs / (median(ms) / 1000), cores, workersUsPerJob, serverUsPerJob };
  };

  const scalingAt = async (perProcess: number): Promise<Scaling> => {
    const batches: Batch[] = [];
    for (const kind of ['runtime', 'raw', 'rawWrites'] as const) {
      batches.push(await measure(kind, 1, perProcess));
      batches.push(await measure(kind, processes, perProcess));
    }
    const rate = (kind: Batch['kind'], count: number) => rateOf(batches, kind, count);
    const runtimeRatio = rate('runtime', processes) / rate('runtime', 1);
    const rawRatio = rate('raw', processes) / rate('raw', 1);
    const writesRatio = rate('rawWrites', processes) / rate('rawWrites', 1);
    return { concurrency: perProcess, batches, runtimeRatio, rawRatio, ratio: runtimeRatio / rawRatio, sameWritesRatio: runtimeRatio / writesRatio, writesCeiling: writesRatio / rawRatio };
  };

  const headlines: Scaling[] = [];
  for (let run = 1; run <= runs; run++) headlines.push(await scalingAt(concurrency));
  const saturated = await scalingAt(saturatedConcurrency);
  // Every run must reach the target: the worst one is the verdict.
  const headline = headlines.reduce((worst, each) => (each.ratio < worst.ratio ? each : worst));
  const runsMet = headlines.filter((each) => each.ratio >= target).length;
  const verdict = { ratio: headline.ratio, target, atLeast: true };
  const cpus = availableParallelism();
  const section = (scaling: Scaling) => [
    ...scaling.batches.map(
      (b) =>
        `  ${`${workerNames[b.kind]} × ${b.processes} process${b.processes > 1 ? 'es' : ''}`.padEnd(38)}` +
        ` ${b.perSecond.toFixed(0).padStart(6)} jobs/s   machine CPU ${b.cores.toFixed(2)} cores` +
        `${b.workersUsPerJob === undefined || b.serverUsPerJob === undefined ? '' : `   CPU µs a job: workers ${b.workersUsPerJob.toFixed(0)}, nats-server ${b.serverUsPerJob.toFixed(0)}`}` +
        `   (${jobs} in ${b.ms.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
    ),
    `  runtime ${processes}/1 = ${scaling.runtimeRatio.toFixed(2)}x   raw ${processes}/1 = ${scaling.rawRatio.toFixed(2)}x   ` +
      `runtime scaling / the same writes' scaling = ${scaling.sameWritesRatio.toFixed(2)}x   the writes' scaling / raw scaling = ${scaling.writesCeiling.toFixed(2)}x`,
  ];
  console.log(
    [
      `executor-scaling · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${cpus} cpus · ` +
        `${repeats} × ${jobs} jobs per set of workers after ${warmupJobsPerProcess} warm-up jobs a process (median), tool waits ${waitMs} ms`,
      '',
      `${concurrency} calls at once a process: room on the machine for ${processes} processes`,
      ...headlines.flatMap((each, index) => [`run ${index + 1} of ${runs}: runtime scaling / raw scaling = ${each.ratio.toFixed(2)}x`, ...section(each)]),
      `${runsMet} of ${runs} runs reach ${target}x (${headlines.map((each) => each.ratio.toFixed(2)).join(', ')}): ${runsMet === runs ? 'met' : 'NOT met'}`,
      verdictLine(`runtime scaling / raw scaling, worst of ${runs} runs`, verdict),
      `context: against raw consumers making the executor's writes: ${headlines.map((each) => each.sameWritesRatio.toFixed(2)).join(', ')}; ` +
        `those writes alone, against the bare ack (the most an executor making them could reach): ${headlines.map((each) => each.writesCeiling.toFixed(2)).join(', ')}`,
      '',
      `context: ${saturatedConcurrency} calls at once a process, where ${processes} processes saturate the ${cpus} cores`,
      ...section(saturated),
      `  runtime scaling / raw scaling = ${saturated.ratio.toFixed(2)}x: CPU per call, the executor's against a bare ack` +
        ` (${saturated.sameWritesRatio.toFixed(2)}x against the same writes)`,
    ].join('\n'),
  );
  const cpuOfN = (kind: Batch['kind']) => {
    const batch = batchOf(headline.batches, kind, processes);
    return { [`${kind}NWorkersUsPerJob`]: batch?.workersUsPerJob ?? Number.NaN, [`${kind}NServerUsPerJob`]: batch?.serverUsPerJob ?? Number.NaN };
  };
  printSummary('executor-scaling', verdict, {
    runs,
    runsMet,
    runRatios: headlines.map((each) => each.ratio.toFixed(2)).join(' '),
    sameWritesRunRatios: headlines.map((each) => each.sameWritesRatio.toFixed(2)).join(' '),
    writesCeilings: headlines.map((each) => each.writesCeiling.toFixed(2)).join(' '),
    concurrency,
    runtimeRatio: headline.runtimeRatio,
    rawRatio: headline.rawRatio,
    runtime1PerSec: rateOf(headline.batches, 'runtime', 1),
    runtimeNPerSec: rateOf(headline.batches, 'runtime', processes),
    raw1PerSec: rateOf(headline.batches, 'raw', 1),
    rawNPerSec: rateOf(headline.batches, 'raw', processes),
    rawWrites1PerSec: rateOf(headline.batches, 'rawWrites', 1),
    rawWritesNPerSec: rateOf(headline.batches, 'rawWrites', processes),
    ...cpuOfN('runtime'),
    ...cpuOfN('raw'),
    ...cpuOfN('rawWrites'),
    saturatedConcurrency,
    saturatedRatio: saturated.ratio,
    processes,
    cpus,
  });
});

/** Jobs/s of the set of `kind` at `processCount` processes; NaN when there is none. */
function rateOf(batches: readonly Batch[], kind: Batch['kind'], processCount: number): number {
  return batchOf(batches, kind, processCount)?.perSecond ?? Number.NaN;
}

function batchOf(batches: readonly Batch[], kind: Batch['kind'], processCount: number): Batch | undefined {
  return batches.find((b) => b.kind === kind && b.processes === processCount);
}

/** The CPU ms `pids` have spent together, or undefined where /proc cannot tell for one of them. */
function cpuMsOf(pids: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
