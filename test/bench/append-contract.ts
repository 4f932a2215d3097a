/**
 * The append contract, measured: the ways a session actor could append a step's four events (two
 * decisions of two events, from a recorded run), each timed against a raw JetStream publish-ack on the
 * same stream settings in the same round, on one file-backed node (R1) and on a 3-node cluster (R3,
 * `sync_interval: always`). Rounds interleave the options (in a rotated order) with their baselines.
 *
 *   node test/bench/append-contract.ts
 *   (env: BENCH_ROUNDS=2, BENCH_STEPS=10 per session and round, BENCH_SESSIONS=8 at once (also 1),
 *    BENCH_TOPOLOGIES=r1,r3, BENCH_OPTIONS=<comma-separated names from harness/append-options.ts>,
 *    BENCH_DEADLINE_MS=85000: raise it with the rounds; run.ts stops a benchmark after BENCH_TIMEOUT_MS)
 */
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { emptyHead, EventStore, streamConfigs } from '@signalbox/store';
import { startNatsCluster, startNatsServer } from '@signalbox/testing';
import {
  appendAsSoleWriter,
  appendOption,
  appendOptionNames,
  optionLabels,
  optionStreamSettings,
  recordedStep,
  stepDecisions,
  type AppendOption,
  type AppendOptionName,
} from './harness/append-options.ts';
import { runBench, type Teardown } from './harness/lifecycle.ts';
import { median, ms, rounded, summarise } from './harness/stats.ts';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2);
const steps = Number(process.env['BENCH_STEPS'] ?? 10);
const manySessions = Number(process.env['BENCH_SESSIONS'] ?? 8);
const topologies = (process.env['BENCH_TOPOLOGIES'] ?? 'r1,r3').split(',') as Topology[];
const options = (process.env['BENCH_OPTIONS']?.split(',') ?? appendOptionNames) as AppendOptionName[];
const names = naming('sbx');
const template = recordedStep();
// A raw publish carries what an event carries on average, so the baseline moves the same bytes.
const rawPayload = new Uint8Array(Math.round(template.reduce((sum, event) => sum + JSON.stringify(event).length, 0) / template.length)).fill(0x61);

type Topology = 'r1' | 'r3';

/** One option's figures in one round at one concurrency, next to that round's raw publish-ack. */
interface Measured {
  topology: Topology;
  option: AppendOptionName | 'raw';
  sessions: number;
  decisionMs: number[];
  stepMs: number[];
  stepsPerS: number;
  /** Appends the server refused though no other writer was there (R3: 10164), each finished by reading the head. */
  refusals: number;
}

await runBench('append-contract', Number(process.env['BENCH_DEADLINE_MS'] ?? 85_000), async (teardown) => {
  const results: Measured[] = [];
  for (const topology of topologies) results.push(...(await measureTopology(topology, teardown)));
  report(results);
});

async function measureTopology(topology: Topology, teardown: Teardown): Promise<Measured[]> {
  const replicas = topology === 'r1' ? 1 : 3;
  const started = await startTopology(topology);
  teardown.add(`${topology} servers`, started.dispose);
  const nc = await connect({ servers: started.servers, name: 'bench' });
  teardown.add(`${topology} connection`, () => nc.close());
  const jsm = await jetstreamManager(nc, { timeout: 30_000 });
  const events = streamConfigs(names, { replicas }).find((config) => config.name === names.streams.events)!;
  await jsm.streams.add({ ...events, ...optionStreamSettings });
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'], storage: events.storage, num_replicas: replicas });
  const store = await EventStore.open(nc, names);
  const js = jetstream(nc);
  const results: Measured[] = [];
  let sessionSerial = 0;
  const run = async (option: AppendOption | 'raw', sessions: number, stepsEach: number) => {
    const ids = Array.from({ length: sessions }, () => `${topology}-${++sessionSerial}`);
    const measured = option === 'raw' ? await rawPublishAcks(js, ids, stepsEach * template.length) : await appendSteps(option, store, ids, stepsEach);
    return { topology, option: option === 'raw' ? ('raw' as const) : option.name, sessions, ...measured };
  };
  const chosen = options.map((name) => appendOption(name, nc, names, store));
  // Warm up every path (a cluster's routes learn the streams on first use).
  for (const option of ['raw' as const, ...chosen]) await run(option, 1, 3);
  for (let round = 0; round < rounds; round++) {
    const order = chosen.map((_, index) => chosen[(index + round) % chosen.length]!);
    for (const sessions of [1, manySessions]) {
      results.push(await run('raw', sessions, steps));
      for (const option of order) results.push(await run(option, sessions, steps));
    }
  }
  console.log(`${topology}: ${started.description}; ${rounds} rounds × ${steps} steps a session, at 1 and ${manySessions} sessions`);
  return results;
}

async function startTopology(topology: Topology): Promise<{ servers: string[]; description: string; dispose: () => Promise<void> }> {
  if (topology === 'r1') {
    const server = await startNatsServer();
    return { servers: [server.url], description: 'one nats-server, file storage, R1 (default sync: every 2 min)', dispose: () => server.dispose() };
  }
  const cluster = await startNatsCluster(3, { config: 'jetstream { sync_interval: always }' });
  return { servers: cluster.servers, description: '3 nodes on this machine, file storage, R3, sync_interval: always', dispose: () => cluster.dispose() };
}

/** `ids.length` sessions at once, each appending `stepsEach` steps of two decisions, one after the other. */
async function appendSteps(option: AppendOption, store: EventStore, ids: string[], stepsEach: number) {
  const decisionMs: number[] = [];
  const stepMs: number[] = [];
  let refusals = 0;
  const began = performance.now();
  await Promise.all(
    ids.map(async (sessionId) => {
      let head = emptyHead;
      for (let step = 1; step <= stepsEach; step++) {
        const stepStarted = performance.now();
        for (const decision of stepDecisions(template, sessionId, step)) {
          const started = performance.now();
          const appended = await appendAsSoleWriter(option, store, decision, head);
          head = appended.head;
          refusals += appended.refusals;
          decisionMs.push(performance.now() - started);
        }
        stepMs.push(performance.now() - stepStarted);
      }
    }),
  );
  return { decisionMs, stepMs, stepsPerS: (ids.length * stepsEach) / ((performance.now() - began) / 1000), refusals };
}

/** The baseline: each session a subject, plain sequential publish-acks of an event's size; a "step" is four of them. */
async function rawPublishAcks(js: JetStreamClient, ids: string[], count: number) {
  const latencies: number[] = [];
  const began = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let index = 0; index < count; index++) {
        const started = performance.now();
        await js.publish(`bench.raw.${id}`, rawPayload);
        latencies.push(performance.now() - started);
      }
    }),
  );
  const publishesPerS = (ids.length * count) / ((performance.now() - began) / 1000);
  return { decisionMs: latencies, stepMs: latencies, stepsPerS: publishesPerS, refusals: 0 };
}

/** Per topology and concurrency: each option's figures, and its ratios to the raw publish-ack of the same round. */
function report(results: Measured[]): void {
  const summary: Record<string, number> = {};
  console.log('\nratios: to the raw publish-ack of the same round (p50 to p50, p99 to p99), median of the rounds (and range);');
  console.log('throughput: raw publish-acks/s ÷ steps/s at the same concurrency (a step is 4 events in 2 decisions)');
  for (const topology of topologies) {
    for (const sessions of [1, manySessions]) {
      const here = results.filter((result) => result.topology === topology && result.sessions === sessions);
      Object.assign(summary, reportCell(`${topology}_${sessions}`, here));
    }
  }
  console.log('\noptions:');
  for (const name of options) console.log(`  ${name.padEnd(20)} ${optionLabels[name]}`);
  // The headline: the runtime's append floor per step on one node, in raw publish-acks.
  const headline = summary[`${topologies[0]}_1_one-message_stepP50Ratio`] ?? Number.NaN;
  console.log(JSON.stringify({ bench: 'append-contract', ratio: rounded(headline, 2), ...Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, rounded(value, 2)])) }));
}

/** One topology at one concurrency; `here` holds each round's raw run followed by its options' runs. */
function reportCell(cell: string, here: Measured[]): Record<string, number> {
  const raws = here.filter((result) => result.option === 'raw');
  const raw = summarise(raws.flatMap((result) => result.decisionMs));
  const [topology, sessions] = cell.split('_');
  console.log(`\n${topology?.toUpperCase()}, ${sessions} ${sessions === '1' ? 'session' : 'sessions'} at once: raw publish-ack p50 ${ms(raw.p50)} p99 ${ms(raw.p99)} ms, ${Math.round(median(raws.map((r) => r.stepsPerS)))}/s`);
  const figures: Record<string, number> = {};
  for (const name of options) {
    const mine = here.filter((result) => result.option === name);
    const ratios = mine.map((result) => roundRatios(result, raws[Math.floor(here.indexOf(result) / (options.length + 1))]!));
    const of = (key: keyof ReturnType<typeof roundRatios>) => range(ratios.map((ratio) => ratio[key]));
    const decision = summarise(mine.flatMap((result) => result.decisionMs));
    const step = summarise(mine.flatMap((result) => result.stepMs));
    const refused = mine.reduce((sum, result) => sum + result.refusals, 0);
    console.log(
      `  ${name.padEnd(20)} decision ${ms(decision.p50)} / ${ms(decision.p99)} ms = ${of('decisionP50').short} / ${of('decisionP99').short}` +
        `   step ${ms(step.p50)} / ${ms(step.p99)} ms = ${of('stepP50').text} / ${of('stepP99').short}` +
        `   ${Math.round(median(mine.map((result) => result.stepsPerS)))} steps/s = ${of('cost').text}${refused > 0 ? `   refused ${refused}` : ''}`,
    );
    figures[`${cell}_${name}_stepP50Ratio`] = of('stepP50').median;
    figures[`${cell}_${name}_costRatio`] = of('cost').median;
  }
  return figures;
}

/** One round of an option against the raw publish-acks measured just before it. */
function roundRatios(result: Measured, baseline: Measured) {
  const mine = { decision: summarise(result.decisionMs), step: summarise(result.stepMs) };
  const raw = summarise(baseline.decisionMs);
  return {
    decisionP50: mine.decision.p50 / raw.p50,
    decisionP99: mine.decision.p99 / raw.p99,
    stepP50: mine.step.p50 / raw.p50,
    stepP99: mine.step.p99 / raw.p99,
    cost: baseline.stepsPerS / result.stepsPerS,
  };
}

/** Median and range of per-round ratios, as `2.10x (1.90–2.40)`, or the median alone. */
function range(values: number[]): { median: number; short: string; text: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = median(sorted);
  return { median: mid, short: `${mid.toFixed(2)}x`, text: `${mid.toFixed(2)}x (${sorted[0]?.toFixed(2)}–${sorted.at(-1)?.toFixed(2)})` };
}
