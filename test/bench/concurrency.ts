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
 *   (env: BENCH_ROUNDS=3, BENCH_WIDE_SESSIONS=16, BENCH_STEPS=200, BENCH_CROWD_SESSIONS=1000, BENCH_CROWD_STEPS=20, BENCH_IN_PROCESS=1,
 *   BENCH_LOG_LEVEL=silent (the service processes' LOG_LEVEL; `info` is a deployment's default);
 *   BENCH_CPU_PROFILE=<dir> for nats-server's CPU profile over the first measured round of 16 sessions)
 */
import { availableParallelism } from 'node:os';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine, type NamedVerdict } from './harness/ratio-report.ts';
import { startBenchNats, startBenchRuntime } from './harness/runtime.ts';
import { floorRunner, type FloorRound } from './harness/raw-appends.ts';
import { serverProfile } from './harness/server-profile.ts';
import { cpuLine, defineAgent, roundRunner, type Round } from './harness/session-rounds.ts';
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

const servingProcesses = ['session-actor', 'tool-executor', 'nats-server'] as const;
type ServingProcess = (typeof servingProcesses)[number];

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
  const roundOf = roundRunner(runtime, runId, pids);
  const runRound = (agent: string, count: number, label: string, timeoutMs = sessionTimeoutMs) => roundOf(agent, count, label, timeoutMs);
  const runFloor = floorRunner(runtime.host.nc, runtime.names, runId);

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
    cpuLine(list, servingProcesses);
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
