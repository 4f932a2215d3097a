/**
 * Signalbox beside its durable peers (#25 asks for a clear lead over the fastest): steps/s of one agent loop
 * with an instant model and tool, a session alone and 16 at once, every system measured in the same run on
 * the same machine, in rounds that alternate between them:
 *   - Signalbox as `signalbox run` deploys it: a session-actor process (with the permission broker), a
 *     tool-executor process and nats-server; each step's tool call makes a round trip over NATS. Its processes
 *     log at a deployment's level (`info`, as Restate's server logs at its default);
 *   - Signalbox in one process (actor, broker and executor; the calls run in the actor's process);
 *   - Restate: its server and one SDK service process, the model's turn and the tool's call each a journaled
 *     `ctx.run` in one handler (restate-service-worker.ts);
 *   - LangGraph.js: a model node and a tool node in a cycle with its SQLite checkpointer, in one process
 *     (langgraph-worker.ts);
 *   - the raw floor: each step's two decisions appended with their checks at raw JetStream cost (concurrency.ts's).
 * A step is one model call; a session of N tool calls makes N + 1. The peers' loops keep no conversation and
 * check no permission (each at its lightest); a Signalbox session records its conversation and checks every call.
 *
 * Run by scripts/peers.sh (`pnpm bench:peers`): it installs the peers into .tooling/peers and runs this in a
 * network namespace with loopback only.
 *   (env: BENCH_ROUNDS=3, BENCH_WIDE_SESSIONS=16, BENCH_STEPS=200, BENCH_LOG_LEVEL=info for Signalbox's processes)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { startBenchLangGraph } from './harness/langgraph.ts';
import { runBench } from './harness/lifecycle.ts';
import { floorRunner } from './harness/raw-appends.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchRestate } from './harness/restate.ts';
import { startBenchNats, startBenchRuntime } from './harness/runtime.ts';
import { cpuLine, defineAgent, perStep, roundRunner, timedWork, type Round, type ServingPids } from './harness/session-rounds.ts';
import { median } from './harness/stats.ts';
import { startWorkerProcesses } from './harness/worker-processes.ts';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const wideSessions = Number(process.env['BENCH_WIDE_SESSIONS'] ?? 16);
const steps = Number(process.env['BENCH_STEPS'] ?? 200);
const sessionTimeoutMs = 60_000;
const serviceWorker = new URL('./harness/service-worker.ts', import.meta.url);
const peerVersions = (JSON.parse(readFileSync(new URL('./peers/package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies;

/** What one round of a system measured: its model calls, its wall time, and its processes' CPU. */
type Measured = Omit<Round, 'eventSpanMs'>;

interface System {
  name: string;
  processes: readonly string[];
  round(sessions: number, label: string): Promise<Measured>;
}

await runBench('peers', 900_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const url = nats.server.url;
  const deployed = await startBenchRuntime(teardown, nats, []);
  const oneProcess = await startBenchRuntime(teardown, nats, [], { prefix: 'sbxl' });
  const logged = { NATS_URL: url, BENCH_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info' };
  const [actor] = (await startWorkerProcesses(teardown, serviceWorker, 1, { ...logged, BENCH_SERVICE: 'session-actor' })).pids;
  const [executor] = (await startWorkerProcesses(teardown, serviceWorker, 1, { ...logged, BENCH_SERVICE: 'tool-executor' })).pids;
  const [single] = (await startWorkerProcesses(teardown, serviceWorker, 1, { ...logged, BENCH_SERVICE: 'in-process', BENCH_PREFIX: 'sbxl' })).pids;
  await defineAgent(deployed, 'bench-session', steps);
  await defineAgent(oneProcess, 'bench-session', steps);
  const restate = await startBenchRestate(teardown);
  const langgraph = await startBenchLangGraph(teardown);
  const runId = Date.now().toString(36);
  const server = () => nats.server.pid;

  const signalbox = (name: string, runtime: typeof deployed, pids: ServingPids): System => {
    const runRound = roundRunner(runtime, runId, pids);
    return { name, processes: Object.keys(pids), round: (sessions, label) => runRound('bench-session', sessions, label, sessionTimeoutMs) };
  };
  const runFloor = floorRunner(nats.nc, deployed.names, runId);
  const asDeployed = signalbox('Signalbox, as deployed', deployed, { 'session-actor': () => actor, 'tool-executor': () => executor, 'nats-server': server });
  const inOneProcess = signalbox('Signalbox, one process', oneProcess, { signalbox: () => single, 'nats-server': server });
  const restatePids = { 'restate-server': () => restate.pids['restate-server'], 'restate-service': () => restate.pids['restate-service'] };
  const peers = [
    timedFromOutside(`Restate ${peerVersions['@restatedev/restate-server']}`, restatePids, (sessions) => restate.invoke(sessions, steps)),
    timedFromOutside(`LangGraph.js ${peerVersions['@langchain/langgraph']} + SQLite`, { langgraph: () => langgraph.pid }, (sessions) => langgraph.invoke(sessions, steps)),
  ];
  const floor = timedFromOutside('raw floor: 2 checked appends a step', { 'nats-server': server }, async (sessions, label) => (await runFloor(sessions, steps, label)).steps);
  const systems = [asDeployed, inOneProcess, ...peers, floor];

  // Every system warm (the JIT, its storage) before any round counts; then rounds alternate between them.
  for (const system of systems) {
    await system.round(1, 'warmup-lone');
    await system.round(wideSessions, 'warmup-wide');
  }
  const lone = new Map<System, Measured[]>(systems.map((system) => [system, []]));
  const wide = new Map<System, Measured[]>(systems.map((system) => [system, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const system of systems) {
      lone.get(system)!.push(await system.round(1, `lone${round}`));
      wide.get(system)!.push(await system.round(wideSessions, `wide${round}`));
    }
  }

  const rate = (list: readonly Measured[]) => median(list.map((each) => each.steps / (each.wallMs / 1000)));
  const fastestPeer = peers.reduce((best, each) => (rate(wide.get(each)!) > rate(wide.get(best)!) ? each : best));
  const lead = (system: System, of: Map<System, Measured[]>) => rate(of.get(system)!) / rate(of.get(fastestPeer)!);
  const verdict = { ratio: lead(asDeployed, wide), target: 1, atLeast: true };
  const more = [
    { what: `Signalbox, one process / ${fastestPeer.name}, ${wideSessions} sessions`, ratio: lead(inOneProcess, wide), target: 1, atLeast: true },
    { what: `Signalbox, as deployed / ${fastestPeer.name}, 1 session`, ratio: lead(asDeployed, lone), target: 1, atLeast: true },
  ];
  const row = (system: System) =>
    `  ${system.name.padEnd(38)} ${rate(lone.get(system)!).toFixed(0).padStart(6)} ${rate(wide.get(system)!).toFixed(0).padStart(12)}` +
    `   machine CPU ${median(wide.get(system)!.map((each) => each.cores)).toFixed(2)} cores` +
    cpuLine(wide.get(system)!, system.processes, 38);
  console.log(
    [
      `peers · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${rounds} rounds alternating, medians; ${steps} tool calls a session (${steps + 1} steps: model calls)`,
      '',
      `  ${'steps/s'.padEnd(38)} ${'1 session'.padStart(6)} ${`${wideSessions} sessions`.padStart(12)}   (CPU at ${wideSessions} sessions)`,
      ...systems.map(row),
      '',
      verdictLine(`Signalbox, as deployed / ${fastestPeer.name} (the fastest peer), ${wideSessions} sessions`, verdict),
      ...more.map((each) => verdictLine(each.what, each)),
      `  (the peers keep no conversation and check no permission; every Signalbox step records its messages and checks its call)`,
    ].join('\n'),
  );
  printSummary(
    'peers',
    verdict,
    Object.fromEntries(systems.flatMap((system) => [[`${system.name} · 1`, rate(lone.get(system)!)], [`${system.name} · ${wideSessions}`, rate(wide.get(system)!)]])),
    more,
  );
});

/** A system measured from outside: `run` starts `sessions` at once and resolves with the steps they took. */
function timedFromOutside(name: string, pids: ServingPids, run: (sessions: number, label: string) => Promise<number>): System {
  return {
    name,
    processes: Object.keys(pids),
    round: async (sessions, label) => {
      let steps = 0;
      const { wallMs, cores, cpuMs } = await timedWork(pids, async () => void (steps = await run(sessions, label)));
      return { steps, wallMs, cores, cpuPerStep: perStep(cpuMs, steps) };
    },
  };
}
