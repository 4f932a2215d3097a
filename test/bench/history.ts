/**
 * Whether a step's cost grows with the history around it: step p50 with 100,000 events of other
 * sessions already in the events stream, as a ratio to step p50 on an empty stream (target ≤ 1.1x,
 * #25). Two installations share one nats-server and this process (prefixes `sbx` and `hist`, each its
 * own streams and services): `hist`'s events stream is filled first with raw publishes of valid events
 * (a recorded step's, renumbered, as the event store writes them) of other sessions, then sessions run
 * on both, alternating, so both see the same machine state and the same JIT. As context, a whole-log
 * read (a resume without a snapshot) of a session written before the fill, so followed on the full
 * stream by every other session's events, against the same read on the empty stream.
 *
 *   node test/bench/history.ts    (env: BENCH_SESSIONS=10, BENCH_STEPS=40, BENCH_HISTORY_EVENTS=100000, BENCH_HISTORY_SESSIONS=1000)
 */
import { availableParallelism } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { SessionIndexEntry } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { EventStore } from '@signalbox/store';
import { sessionActorService } from '@signalbox/session-actor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { microClock, publishAckSampler } from './harness/jetstream.ts';
import { runBench } from './harness/lifecycle.ts';
import { fillEventsStream } from './harness/raw-appends.ts';
import { printSummary, verdictLine, type RatioVerdict } from './harness/ratio-report.ts';
import { readStoredEvents, runSession, startBenchNats, startBenchRuntime, type BenchRuntime } from './harness/runtime.ts';
import { ms, summarise } from './harness/stats.ts';
import { inMs, row } from './harness/step-report.ts';
import { stepTimings } from './harness/step-timeline.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 10);
const stepsPerSession = Number(process.env['BENCH_STEPS'] ?? 40);
const historyEvents = Number(process.env['BENCH_HISTORY_EVENTS'] ?? 100_000);
const historySessions = Number(process.env['BENCH_HISTORY_SESSIONS'] ?? 1000);
const sessionTimeoutMs = 20_000;
const target = 1.1;
const agentName = 'bench-history';
const agedWarmupReads = 20;
const agedReadCount = 100;

// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
const noop = defineTool({ name: 'bench.noop', description: 'Does nothing, at once.', input: SessionIndexEntry.pick({}), run: () => 'ok' });

type Phase = 'empty' | 'full';

await runBench('history', 170_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const appendShaped = await publishAckSampler(nats.nc, 'append', { payloadBytes: 300, appendShaped: true });
  await appendShaped.sample(100, { warmup: true });
  // The injected clock stamps events in µs (integers still): ms stamps would round a few-ms step to whole ms.
  const install = async (prefix: string) => {
    const runtime = await startBenchRuntime(teardown, nats, [toolExecutorService({ tools: [noop] }), sessionActorService({ clock: microClock }), permissionBrokerService()], { prefix });
    await runtime.client.applyAgent({
      name: agentName,
      model: 'scripted',
      tools: [noop.name],
      budget: { maxSteps: stepsPerSession + 10 },
      script: [...Array.from({ length: stepsPerSession }, () => ({ tool: noop.name, input: {} })), { final: 'done' }],
    });
    return runtime;
  };
  const runtimes = { empty: await install('sbx'), full: await install('hist') };
  const jsm = await jetstreamManager(nats.nc);
  const storedMessages = async (phase: Phase) => (await jsm.streams.info(runtimes[phase].names.streams.events)).state.messages;
  const runId = Date.now().toString(36);
  const runOne = async (phase: Phase, label: string) => {
    const sessionId = `bench-${runId}-${phase}-${label}`;
    await runSession(runtimes[phase], agentName, sessionId, sessionTimeoutMs);
    return sessionId;
  };
  // A session written before the fill: on the full stream, its whole log is then followed by every other session's events.
  const aged = { empty: await runOne('empty', 'aged'), full: await runOne('full', 'aged') };

  const fillStarted = performance.now();
  const filled = await fillEventsStream(nats.nc, runtimes.full.names, { events: historyEvents, sessions: historySessions, runId });
  const fillMs = performance.now() - fillStarted;
  const fullMessages = await storedMessages('full');

  const measured = { empty: { ids: [] as string[], cpuUs: 0, appendMs: [] as number[] }, full: { ids: [] as string[], cpuUs: 0, appendMs: [] as number[] } };
  for (let warm = 1; warm <= 2; warm++) for (const phase of ['empty', 'full'] as const) await runOne(phase, `warmup${warm}`);
  for (let session = 1; session <= sessions; session++) {
    for (const phase of session % 2 === 0 ? (['full', 'empty'] as const) : (['empty', 'full'] as const)) {
      const before = appendShaped.latenciesMs.length;
      await appendShaped.sample(50);
      measured[phase].appendMs.push(...appendShaped.latenciesMs.slice(before));
      const cpuBefore = process.cpuUsage();
      measured[phase].ids.push(await runOne(phase, String(session)));
      const cpu = process.cpuUsage(cpuBefore);
      measured[phase].cpuUs += cpu.user + cpu.system;
    }
  }
  const figures = async (phase: Phase) => {
    const steps = [];
    for (const id of measured[phase].ids) steps.push(...stepTimings(await readStoredEvents(nats.nc, runtimes[phase].names, id), { serverOffsetUs: undefined, probed: undefined }));
    if (steps.length === 0) throw new Error(`no steps were measured on the ${phase} stream`);
    return { step: inMs(steps.map((s) => s.totalUs)), cpuMsPerStep: measured[phase].cpuUs / 1000 / steps.length, append: summarise(measured[phase].appendMs) };
  };
  const empty = await figures('empty');
  const full = await figures('full');
  const agedReads = await timeAgedReads(nats.nc, runtimes, aged);

  const verdict: RatioVerdict = { ratio: full.step.p50 / empty.step.p50, target, atLeast: false };
  console.log(
    [
      `history · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${sessions} sessions × ${stepsPerSession} steps on each stream, alternating after 2 warm-ups each; both installations in this process`,
      '',
      `empty: the events stream held only these sessions' (${await storedMessages('empty')} messages at the end)`,
      row('  step', empty.step, `   n=${empty.step.count}   node CPU ${ms(empty.cpuMsPerStep)} ms a step`),
      `full: ${filled} events of ${historySessions} other sessions written first in ${(fillMs / 1000).toFixed(1)} s (${fullMessages} messages)`,
      row('  step', full.step, `   n=${full.step.count}   node CPU ${ms(full.cpuMsPerStep)} ms a step`),
      `a session written before the fill, read whole (${agedReads.events} events; a resume without a snapshot):`,
      row('  read, empty stream', agedReads.empty),
      row('  read, full stream', agedReads.full, `   ${(agedReads.full.p50 / agedReads.empty.p50).toFixed(2)}x the empty stream's p50 (context)`),
      row('raw append before each session', summarise([...measured.empty.appendMs, ...measured.full.appendMs]), '   (a stream of its own: the machine\'s state)'),
      '',
      verdictLine(`step p50 with ${filled} other events / on an empty stream`, verdict),
    ].join('\n'),
  );
  printSummary('history', verdict, {
    emptyStepP50Ms: empty.step.p50,
    fullStepP50Ms: full.step.p50,
    emptyCpuMsPerStep: empty.cpuMsPerStep,
    fullCpuMsPerStep: full.cpuMsPerStep,
    historyEvents: filled,
    fillSeconds: fillMs / 1000,
    agedReadP50Ratio: agedReads.full.p50 / agedReads.empty.p50,
  });
});

/** Reads each phase's aged session whole, the phases alternating, after a few untimed reads each. */
async function timeAgedReads(nc: NatsConnection, runtimes: Record<Phase, BenchRuntime>, aged: Record<Phase, string>) {
  const stores = { empty: await EventStore.open(nc, runtimes.empty.names), full: await EventStore.open(nc, runtimes.full.names) };
  const latencies: Record<Phase, number[]> = { empty: [], full: [] };
  let events = 0;
  for (let read = -agedWarmupReads; read < agedReadCount; read++) {
    for (const phase of read % 2 === 0 ? (['empty', 'full'] as const) : (['full', 'empty'] as const)) {
      const started = performance.now();
      events = (await stores[phase].read(aged[phase])).length;
      if (read >= 0) latencies[phase].push(performance.now() - started);
    }
  }
  return { events, empty: summarise(latencies.empty), full: summarise(latencies.full) };
}
