/**
 * How throughput scales with concurrent sessions: steps per second with 16 sessions at once, as a
 * ratio to steps per second with one session, on the same runtime (a session-actor process and a
 * tool-executor process, as `signalbox run` deploys them) and nats-server. A step
 * is one model turn plus its tool call's round trip; the scripted model and an instant tool leave the
 * runtime's own cost, so the ratio says how much of a lone session's step is waiting the others can fill.
 *
 * Both sides run sessions of the same length, so a session's fixed costs (its start, index entries
 * and end) and its growing conversation weigh the same per step on both.
 *
 * Two more ratios (#25):
 *   - against the raw floor: the same number of sessions at once, each step only its two decisions
 *     appended at raw JetStream cost (checked appends, `expect.lastSubjectSequence`, of a recorded step's
 *     events to the events stream, from this process), in rounds alternating with the runtime's (target ≥ 0.45);
 *   - a crowd: 1,000 sessions at once (of fewer steps each) must all complete, their steps/s against the
 *     16 sessions' (target ≥ 0.9).
 *
 * With BENCH_IN_PROCESS=1 the runtime is one process instead: actor, broker and executor, the executor running
 * the calls in the actor's process (SIGNALBOX_EXECUTOR_IN_PROCESS).
 *
 *   node test/bench/concurrency.ts
 *   (env: BENCH_ROUNDS=3, BENCH_WIDE_SESSIONS=16, BENCH_STEPS=200, BENCH_CROWD_SESSIONS=1000, BENCH_CROWD_STEPS=20, BENCH_IN_PROCESS=1;
 *   BENCH_CPU_PROFILE=<dir> for nats-server's CPU profile over the first measured round of 16 sessions)
 */
import { availableParallelism } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import { runBench } from './harness/lifecycle.ts';
import { machineBusyMs, processCpuMs } from './harness/machine.ts';
import { printSummary, verdictLine, type NamedVerdict } from './harness/ratio-report.ts';
import { lastEventSeq, readEventsAfter, startBenchNats, startBenchRuntime, watchSession, watchSessionsEnd, type BenchRuntime } from './harness/runtime.ts';
import { noopTool as noop } from './harness/service-worker.ts';
import { rawSessionSteps } from './harness/raw-appends.ts';
import { serverProfile } from './harness/server-profile.ts';
import { median } from './harness/stats.ts';
import { startWorkerProcesses } from './harness/worker-processes.ts';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const wideSessions = Number(process.env['BENCH_WIDE_SESSIONS'] ?? 16);
const steps = Number(process.env['BENCH_STEPS'] ?? 200);
const crowdSessions = Number(process.env['BENCH_CROWD_SESSIONS'] ?? 1000);
const crowdSteps = Number(process.env['BENCH_CROWD_STEPS'] ?? 20);
const target = 3.5;
const inProcess = process.env['BENCH_IN_PROCESS'] === '1';
const floorTarget = 0.45;
const crowdTarget = 0.9;
const sessionTimeoutMs = 20_000;
/** The crowd's sessions wait their turn behind each other: the whole crowd's deadline. */
const crowdTimeoutMs = 200_000;

const serviceWorker = new URL('./harness/service-worker.ts', import.meta.url);

/** One batch of sessions started together: how many steps they took and how long until the last ended. */
interface Round {
  steps: number;
  wallMs: number;
  /** First to last event `at` over the batch: the runtime's time, without submitting and watching. */
  eventSpanMs: number;
  /** Busy CPU time of the whole machine (services, nats-server, this process) over the wall time: 1 is one core kept busy. */
  cores: number;
  /** CPU time per step of each process that serves the sessions, ms; empty where /proc cannot tell. */
  cpuPerStep: Partial<Record<ServingProcess, number>>;
}

type ServingProcess = 'session-actor' | 'tool-executor' | 'nats-server';

await runBench('concurrency', 290_000, async (teardown) => {
  const profile = await serverProfile();
  const nats = await startBenchNats(teardown, profile.args);
  // Deployed as `signalbox run` deploys: one session-actor process, one tool-executor process (or one running both, in process); this one only submits and watches.
  const runtime = await startBenchRuntime(teardown, nats, []);
  const pids: Record<ServingProcess, () => number | undefined> = { 'session-actor': () => undefined, 'tool-executor': () => undefined, 'nats-server': () => nats.server.pid };
  if (inProcess) {
    // One process runs both: its CPU is the actor's line.
    const [pid] = (await startWorkerProcesses(teardown, serviceWorker, 1, { NATS_URL: nats.server.url, BENCH_SERVICE: 'in-process' })).pids;
    pids['session-actor'] = () => pid;
  } else {
    for (const service of ['session-actor', 'tool-executor'] as const) {
      const [pid] = (await startWorkerProcesses(teardown, serviceWorker, 1, { NATS_URL: nats.server.url, BENCH_SERVICE: service })).pids;
      pids[service] = () => pid;
    }
  }
  await defineAgent(runtime, 'bench-session', steps);
  await defineAgent(runtime, 'bench-crowd', crowdSteps);
  const runId = Date.now().toString(36);
  const runRound = roundRunner(runtime, runId, pids);
  const runFloor = floorRunner(runtime, runId);

  // Both shapes before measuring (16 sessions take longer to reach their steady state), so the rounds
  // compare steady states rather than the JIT's progress.
  await runRound('bench-session', 1, 'warmup-lone');
  const warmups: Round[] = [];
  for (let round = 1; round <= 2; round++) warmups.push(await runRound('bench-session', wideSessions, `warmup-wide${round}`));
  await runFloor(wideSessions, steps, 'warmup');
  const lone: Round[] = [];
  const wide: Round[] = [];
  const floor: FloorRound[] = [];
  /** One chain of appends alone: context for reading the floor (how much of it is the server's parallelism). */
  const loneFloor: FloorRound[] = [];
  // Alternating keeps all sides in the same machine state (JIT, stream sizes, other load).
  for (let round = 1; round <= rounds; round++) {
    lone.push(await runRound('bench-session', 1, `lone${round}`));
    loneFloor.push(await runFloor(1, steps, `lonefloor${round}`));
    floor.push(await runFloor(wideSessions, steps, `floor${round}`));
    // The server's profile covers most of the first measured round (as long as the last warm-up took, less a fifth).
    const profiled = round === 1 ? profile.record('nats-server-wide', (warmups.at(-1)!.wallMs * 0.8) / 1000) : undefined;
    wide.push(await runRound('bench-session', wideSessions, `wide${round}`));
    const written = await profiled;
    if (written) console.error(`nats-server's CPU profile of ${wideSessions} sessions: ${written} (go tool pprof -top ${written})`);
  }

  // The crowd, last: all must end, and its rate is held to the rounds of 16 sessions'. Its sessions are
  // shorter (a crowd of 200-step sessions would take minutes here), so their fixed costs (start, index
  // entries, end) weigh more on each step than on the 16's: the comparison is, if anything, strict.
  const crowd = await runRound('bench-crowd', crowdSessions, 'crowd', crowdTimeoutMs);

  const rate = (r: Round | FloorRound) => r.steps / (r.wallMs / 1000);
  const spanRate = (r: Round) => r.steps / (r.eventSpanMs / 1000);
  const loneRate = median(lone.map(rate));
  const wideRate = median(wide.map(rate));
  const floorRate = median(floor.map(rate));
  const verdict = { ratio: wideRate / loneRate, target, atLeast: true };
  const more: NamedVerdict[] = [
    { what: `steps/s with ${wideSessions} sessions / raw floor`, ratio: wideRate / floorRate, target: floorTarget, atLeast: true },
    { what: `steps/s with ${crowdSessions} sessions / with ${wideSessions}`, ratio: rate(crowd) / wideRate, target: crowdTarget, atLeast: true },
  ];
  const row = (label: string, list: Round[]) =>
    `  ${label.padEnd(30)} ${median(list.map(rate)).toFixed(0).padStart(6)} steps/s wall` +
    `   ${median(list.map(spanRate)).toFixed(0).padStart(6)} steps/s by event span` +
    `   machine CPU ${median(list.map((r) => r.cores)).toFixed(2)} cores` +
    `   (${list.map((r) => `${r.steps} in ${r.wallMs.toFixed(0)} ms`).join(', ')})` +
    cpuLine(list);
  console.log(
    [
      `concurrency · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${rounds} rounds, medians; ${inProcess ? 'one process running actor and executor, calls in process' : 'a session-actor process and a tool-executor process'}`,
      '',
      row(`1 session × ${steps} steps`, lone),
      row(`${wideSessions} sessions × ${steps} steps`, wide),
      `  ${`raw floor, 1 × ${steps} steps`.padEnd(30)} ${median(loneFloor.map(rate)).toFixed(0).padStart(6)} steps/s wall   (context: one chain of appends)`,
      `  ${`raw floor, ${wideSessions} × ${steps} steps`.padEnd(30)} ${floorRate.toFixed(0).padStart(6)} steps/s wall` +
        `   (2 checked appends a step from this process; ${floor.map((r) => `${r.steps} in ${r.wallMs.toFixed(0)} ms`).join(', ')})`,
      row(`${crowdSessions} sessions × ${crowdSteps} steps`, [crowd]),
      '',
      verdictLine(`steps/s with ${wideSessions} sessions / steps/s with 1`, verdict),
      ...more.map((each) => verdictLine(each.what, each)),
      `  (${availableParallelism()} cores are shared by nats-server, both services and this process: once the machine nears them, the ceiling is CPU, not waiting)`,
    ].join('\n'),
  );
  printSummary(
    'concurrency',
    verdict,
    { inProcess: inProcess ? 1 : 0, loneStepsPerSec: loneRate, wideStepsPerSec: wideRate, floorStepsPerSec: floorRate, loneFloorStepsPerSec: median(loneFloor.map(rate)), crowdStepsPerSec: rate(crowd), crowdSessions, cpus: availableParallelism() },
    more,
  );
});

/** A round of raw sessions at once: only their appends. */
interface FloorRound {
  steps: number;
  wallMs: number;
}

/** Runs `count` raw sessions of `stepsEach` steps at once (see rawSessionSteps). */
function floorRunner(runtime: BenchRuntime, runId: string) {
  const js = jetstream(runtime.host.nc);
  return async (count: number, stepsEach: number, label: string): Promise<FloorRound> => {
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, index) => rawSessionSteps(js, runtime.names, `floor-${runId}-${label}-${index + 1}`, stepsEach)));
    return { steps: count * stepsEach, wallMs: performance.now() - started };
  };
}

async function defineAgent(runtime: BenchRuntime, name: string, steps: number): Promise<void> {
  await runtime.client.applyAgent({
    name,
    model: 'scripted',
    tools: [noop.name],
    budget: { maxSteps: steps + 10 },
    script: [...Array.from({ length: steps }, () => ({ tool: noop.name, input: {} })), { final: 'done' }],
  });
}

/** The median CPU time per step of each serving process, as a second line; nothing where /proc cannot tell. */
function cpuLine(rounds: Round[]): string {
  const parts = (['session-actor', 'tool-executor', 'nats-server'] as const).flatMap((name) => {
    const perStep = rounds.flatMap((round) => round.cpuPerStep[name] ?? []);
    return perStep.length === rounds.length ? [`${name} ${median(perStep).toFixed(3)}`] : [];
  });
  return parts.length === 0 ? '' : `\n  ${''.padEnd(30)} CPU ms per step: ${parts.join(' · ')}`;
}

/**
 * Submits a task for each of `ids` at once and waits until all have ended. A few sessions are watched
 * one by one; a crowd through one watch of the whole index (a watch a session would be a consumer each).
 */
async function runAll(runtime: BenchRuntime, agent: string, ids: readonly string[], timeoutMs: number): Promise<void> {
  if (ids.length <= 64) {
    const runs = await Promise.all(ids.map((id) => watchSession(runtime, id, timeoutMs)));
    await Promise.all(runs.map((run) => run(agent)));
    return;
  }
  await (await watchSessionsEnd(runtime, ids, timeoutMs))(async () => {
    const outcomes = await Promise.all(ids.map((sessionId) => runtime.client.submit(agent, { input: 'benchmark', sessionId }, { timeoutMs })));
    const refused = outcomes.find((outcome) => outcome.status !== 'accepted');
    if (refused) throw new Error(`a session was not accepted: ${JSON.stringify(refused)}`);
  });
}

/** Starts `count` sessions of `agent` at once and waits for all to end; steps are counted from their logs. */
function roundRunner(runtime: BenchRuntime, runId: string, pids: Record<ServingProcess, () => number | undefined>) {
  const processCpu = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid())])) as Record<ServingProcess, number | undefined>;
  return async (agent: string, count: number, label: string, timeoutMs = sessionTimeoutMs): Promise<Round> => {
    const ids = Array.from({ length: count }, (_, index) => `bench-${runId}-${label}-${index + 1}`);
    const afterSeq = await lastEventSeq(runtime.host.nc, runtime.names);
    const cpuBefore = machineBusyMs();
    const processesBefore = processCpu();
    const started = performance.now();
    await runAll(runtime, agent, ids, timeoutMs);
    const wallMs = performance.now() - started;
    const cpuMs = machineBusyMs() - cpuBefore;
    const processesAfter = processCpu();
    let steps = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const log of (await readEventsAfter(runtime.host.nc, runtime.names, afterSeq, ids)).values()) {
      steps += log.filter(({ event }) => event.type === 'model.requested').length;
      first = Math.min(first, log[0]?.event.at ?? Infinity);
      last = Math.max(last, log.at(-1)?.event.at ?? -Infinity);
    }
    const cpuPerStep: Round['cpuPerStep'] = {};
    for (const name of Object.keys(pids) as ServingProcess[]) {
      const [before, after] = [processesBefore[name], processesAfter[name]];
      if (before !== undefined && after !== undefined) cpuPerStep[name] = (after - before) / steps;
    }
    return { steps, wallMs, eventSpanMs: last - first, cores: cpuMs / wallMs, cpuPerStep };
  };
}

