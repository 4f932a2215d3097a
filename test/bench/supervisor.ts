/**
 * How soon the supervisor intervenes, in one run on one fresh nats-server: from the append of the
 * event that completes a loop (the third identical tool call) to the append of the supervisor's
 * `supervisor.intervened`, both by the server's store time, as a ratio to a plain NATS request/reply
 * on the same server (target: p50 at most 5x). In between: the event reaches the supervisor's
 * partition stream and durable, its detectors fold it, the intervention goes to the session's inbox,
 * and the session actor records it.
 *
 * Each session is a scripted agent calling one instant tool with the same input over and over; its
 * ladder is only `nudge`, so it runs to its end. Requests of the baseline are taken between sessions.
 * Sessions run before the supervisor's replica holds its partitions are warm-up, not measured.
 *
 *   node test/bench/supervisor.ts    (env: BENCH_SESSIONS=40, BENCH_REQUESTS=1000)
 */
import { availableParallelism } from 'node:os';
import { SessionIndexEntry } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine, type RatioVerdict } from './harness/ratio-report.ts';
import { rawRequestReply } from './harness/request-reply.ts';
import { readStoredEvents, runSession, startBenchNats, startBenchRuntime } from './harness/runtime.ts';
import { ms, summarise } from './harness/stats.ts';
import { row } from './harness/step-report.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 40);
const requests = Number(process.env['BENCH_REQUESTS'] ?? 1000);
const loopLength = 8;
const sessionTimeoutMs = 20_000;
/** The target for the intervention's latency p50, in plain request/replies. */
const target = 5;

// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
const noInput = SessionIndexEntry.pick({});
const poll = defineTool({ name: 'bench.poll', description: 'Answers the same, at once.', input: noInput, run: () => 'nothing new' });

await runBench('supervisor', 80_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const runtime = await startBenchRuntime(teardown, nats, [toolExecutorService({ tools: [poll] }), sessionActorService(), permissionBrokerService(), supervisorService()]);
  const script = [...Array.from({ length: loopLength }, () => ({ tool: poll.name, input: {} })), { final: 'done' }];
  await runtime.client.applyAgent({ name: 'bench-looper', model: 'scripted', tools: [poll.name], budget: { maxSteps: loopLength + 5 }, supervision: { ladder: ['nudge'] }, script });
  const { raw } = await rawRequestReply(teardown, nats.server.url, { requestBytes: 300, replyBytes: 100 });
  await raw.sample(50, { warmup: true });

  const runId = Date.now().toString(36);
  let counter = 0;
  /** Runs one looping session; its intervention's latency, or undefined when it ended before the supervisor caught it. */
  const measureOne = async (): Promise<number | undefined> => {
    const sessionId = `bench-${runId}-${++counter}`;
    await runSession(runtime, 'bench-looper', sessionId, sessionTimeoutMs);
    const stored = await readStoredEvents(nats.nc, runtime.names, sessionId);
    const intervened = stored.find(({ event }) => event.type === 'supervisor.intervened');
    const evidence = intervened?.event.type === 'supervisor.intervened' ? intervened.event.data.evidence : [];
    const offending = stored.find(({ event }) => event.n === evidence.at(-1));
    return intervened && offending ? (intervened.storedUs - offending.storedUs) / 1000 : undefined;
  };
  // Warm-up: until the supervisor's replica holds its partitions (a second or two after it starts), sessions end uncaught.
  let warmup = 1;
  while ((await measureOne()) === undefined && warmup < 20) warmup += 1;

  const latenciesMs: number[] = [];
  let uncaught = 0;
  for (let index = 0; index < sessions; index++) {
    const latency = await measureOne();
    await raw.sample(Math.ceil(requests / sessions));
    if (latency === undefined) uncaught += 1;
    else latenciesMs.push(latency);
  }
  if (latenciesMs.length === 0) throw new Error('no session was intervened in');

  const latency = summarise(latenciesMs);
  const plain = summarise(raw.latenciesMs);
  const verdict: RatioVerdict = { ratio: latency.p50 / plain.p50, target, atLeast: false };
  console.log(
    [
      `supervisor · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${sessions} sessions, each the same call ${loopLength} times · every service in this process`,
      '',
      row('plain request/reply', plain, '   the baseline, same server'),
      row('loop appended → intervention appended', latency, `   by server store time`),
      `  ${uncaught} of ${sessions} sessions ended uncaught; ${warmup} warm-up session(s) ran until the supervisor held its partitions`,
      `  p99 ${ms(latency.p99)} ms = ${(latency.p99 / plain.p50).toFixed(1)}x the plain p50`,
      '',
      verdictLine('intervention latency p50 / plain request-reply p50', verdict),
    ].join('\n'),
  );
  printSummary('supervisor', verdict, { rawRequestP50Ms: plain.p50, interventionP50Ms: latency.p50, interventionP99Ms: latency.p99, uncaught, warmup });
});
