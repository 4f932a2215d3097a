import { machineBusyMs, processCpuMs } from './machine.ts';
import { lastEventSeq, readEventsAfter, watchSession, watchSessionsEnd, type BenchRuntime } from './runtime.ts';
import { noopTool as noop } from './service-worker.ts';
import { median } from './stats.ts';

/** One batch of sessions started together: how many steps they took and how long until the last ended. */
export interface Round {
  steps: number;
  wallMs: number;
  /** First to last event `at` over the batch: the runtime's time, without submitting and watching. */
  eventSpanMs: number;
  /** Busy CPU time of the whole machine (services, nats-server, this process) over the wall time: 1 is one core kept busy. */
  cores: number;
  /** CPU time per step of each process that serves the sessions, by name, ms; none where /proc cannot tell. */
  cpuPerStep: Record<string, number>;
}

/** The processes that serve the sessions, by name: their CPU is read before and after each round. */
export type ServingPids = Record<string, () => number | undefined>;

/** An agent whose sessions take `steps` steps, each a call of `bench.noop` (the service worker's instant tool), then end. */
export async function defineAgent(runtime: BenchRuntime, name: string, steps: number): Promise<void> {
  await runtime.client.applyAgent({
    name,
    model: 'scripted',
    tools: [noop.name],
    budget: { maxSteps: steps + 10 },
    script: [...Array.from({ length: steps }, () => ({ tool: noop.name, input: {} })), { final: 'done' }],
  });
}

/** What running some work took: its wall time, the machine's busy cores over it, and each serving process's CPU, ms. */
export interface TimedWork {
  wallMs: number;
  cores: number;
  cpuMs: Record<string, number>;
}

/** Runs `work`, reading the machine's and each of `pids`' CPU before and after it. */
export async function timedWork(pids: ServingPids, work: () => Promise<void>): Promise<TimedWork> {
  const processCpu = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid())]));
  const busyBefore = machineBusyMs();
  const processesBefore = processCpu();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const cores = (machineBusyMs() - busyBefore) / wallMs;
  const processesAfter = processCpu();
  const cpuMs: Record<string, number> = {};
  for (const name of Object.keys(pids)) {
    const [before, after] = [processesBefore[name], processesAfter[name]];
    if (before !== undefined && after !== undefined) cpuMs[name] = after - before;
  }
  return { wallMs, cores, cpuMs };
}

/** Each process's CPU over `steps`, ms a step. */
export function perStep(cpuMs: Record<string, number>, steps: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, ms / steps]));
}

/** Starts `count` sessions of `agent` at once and waits for all to end; steps are counted from their logs. */
export function roundRunner(runtime: BenchRuntime, runId: string, pids: ServingPids) {
  return async (agent: string, count: number, label: string, timeoutMs: number): Promise<Round> => {
    const ids = Array.from({ length: count }, (_, index) => `bench-${runId}-${label}-${index + 1}`);
    const afterSeq = await lastEventSeq(runtime.host.nc, runtime.names);
    const { wallMs, cores, cpuMs } = await timedWork(pids, () => runAll(runtime, agent, ids, timeoutMs));
    let steps = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const log of (await readEventsAfter(runtime.host.nc, runtime.names, afterSeq, ids)).values()) {
      steps += log.filter(({ event }) => event.type === 'model.requested').length;
      first = Math.min(first, log[0]?.event.at ?? Infinity);
      last = Math.max(last, log.at(-1)?.event.at ?? -Infinity);
    }
    return { steps, wallMs, eventSpanMs: last - first, cores, cpuPerStep: perStep(cpuMs, steps) };
  };
}

/** The median CPU time per step of each of `names`, as a second line; nothing where /proc could not tell for every round. */
export function cpuLine(rounds: readonly Pick<Round, 'cpuPerStep'>[], names: readonly string[], indent = 30): string {
  const parts = names.flatMap((name) => {
    const perStep = rounds.flatMap((round) => round.cpuPerStep[name] ?? []);
    return perStep.length === rounds.length ? [`${name} ${median(perStep).toFixed(3)}`] : [];
  });
  return parts.length === 0 ? '' : `\n  ${''.padEnd(indent)} CPU ms per step: ${parts.join(' · ')}`;
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
