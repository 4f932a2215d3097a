/**
 * How tool throughput scales across executor processes: jobs/s with 4 tool-executor processes ÷ with 1,
 * against the same ratio for raw JetStream consumers (4 processes pulling from one durable on a
 * work-queue stream, acking after the same wait, ÷ 1). The headline is runtime ratio / raw ratio: how
 * much of the scaling JetStream itself allows the executor keeps. Jobs are published straight to the
 * jobs stream (no session actor); a job is done when its result is in the inbox stream.
 *
 *   node test/bench/executor-scaling.ts    (env: BENCH_JOBS=2000, BENCH_WAIT_MS=2, BENCH_CONCURRENCY=8, BENCH_PROCESSES=4, BENCH_REPEATS=3)
 */
import { availableParallelism } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { naming } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { createRawJobs, publishRawJobs, publishToolJobs, rawJobs, streamMessages } from './harness/executor-jobs.ts';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { median } from './harness/stats.ts';
import { startWorkerProcesses, waitForCount } from './harness/worker-processes.ts';

const jobs = Number(process.env['BENCH_JOBS'] ?? 2000);
const waitMs = Number(process.env['BENCH_WAIT_MS'] ?? 2);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const processes = Number(process.env['BENCH_PROCESSES'] ?? 4);
const repeats = Number(process.env['BENCH_REPEATS'] ?? 3);
/** Per process: a fresh process compiles its hot paths on the way, and each set of workers is measured warm. */
const warmupJobsPerProcess = 500;
const target = 0.9;
const drainTimeoutMs = 20_000;

const toolWorker = new URL('./harness/tool-executor-worker.ts', import.meta.url);
const rawWorker = new URL('./harness/raw-consumer-worker.ts', import.meta.url);

/** One set of workers: jobs done per second from the first publish to the last completion, median of its batches. */
interface Batch {
  kind: 'runtime' | 'raw';
  processes: number;
  ms: number[];
  perSecond: number;
}

await runBench('executor-scaling', 60_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names);
  await createRawJobs(nats.nc);
  const jsm = await jetstreamManager(nats.nc);
  const env = { NATS_URL: nats.server.url, BENCH_WAIT_MS: String(waitMs), BENCH_CONCURRENCY: String(concurrency) };
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
    const started = performance.now();
    await publishRawJobs(nats.nc, `${runId}-${label}`, count);
    const done = await waitForCount(async () => count - (await streamMessages(nats.nc, rawJobs.stream)), count, drainTimeoutMs);
    return done - started;
  };

  const measure = async (kind: Batch['kind'], count: number): Promise<Batch> => {
    const workers = await startWorkerProcesses(teardown, kind === 'runtime' ? toolWorker : rawWorker, count, env);
    const batch = kind === 'runtime' ? runtimeBatch : rawBatch;
    await batch(warmupJobsPerProcess * count, `${kind}${count}-warmup`);
    const ms: number[] = [];
    for (let repeat = 1; repeat <= repeats; repeat++) ms.push(await batch(jobs, `${kind}${count}-${repeat}`));
    await workers.stop();
    return { kind, processes: count, ms, perSecond: jobs / (median(ms) / 1000) };
  };

  const batches: Batch[] = [];
  for (const kind of ['runtime', 'raw'] as const) {
    batches.push(await measure(kind, 1));
    batches.push(await measure(kind, processes));
  }
  const rate = (kind: Batch['kind'], count: number) => batches.find((b) => b.kind === kind && b.processes === count)?.perSecond ?? Number.NaN;
  const runtimeRatio = rate('runtime', processes) / rate('runtime', 1);
  const rawRatio = rate('raw', processes) / rate('raw', 1);
  const verdict = { ratio: runtimeRatio / rawRatio, target, atLeast: true };
  const cpus = availableParallelism();
  console.log(
    [
      `executor-scaling · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${cpus} cpus · ` +
        `${repeats} × ${jobs} jobs per set of workers after ${warmupJobsPerProcess} warm-up jobs a process (median), tool waits ${waitMs} ms, ${concurrency} at once per process`,
      '',
      ...batches.map(
        (b) =>
          `  ${`${b.kind === 'runtime' ? 'tool-executor' : 'raw consumer'} × ${b.processes} process${b.processes > 1 ? 'es' : ''}`.padEnd(30)}` +
          ` ${b.perSecond.toFixed(0).padStart(6)} jobs/s   (${jobs} in ${b.ms.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
      ),
      '',
      `  runtime ${processes}/1 = ${runtimeRatio.toFixed(2)}x   raw ${processes}/1 = ${rawRatio.toFixed(2)}x`,
      verdictLine(`runtime scaling / raw scaling`, verdict),
      `  this machine has ${cpus} cores, shared by nats-server, the publisher and every worker: the scaling either side`,
      `  can show is bounded by them, not by the number of processes`,
    ].join('\n'),
  );
  printSummary('executor-scaling', verdict, {
    runtimeRatio,
    rawRatio,
    runtime1PerSec: rate('runtime', 1),
    runtimeNPerSec: rate('runtime', processes),
    raw1PerSec: rate('raw', 1),
    rawNPerSec: rate('raw', processes),
    processes,
    cpus,
  });
});
