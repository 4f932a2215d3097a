/**
 * Per-step overhead of the runtime (the permission check of each tool call included), as a ratio to raw JetStream publish-ack latency measured in the
 * same run on the same fresh nats-server. A step is one model turn plus its tool call's round trip;
 * the scripted model and an instant tool leave only the runtime's own cost.
 *
 *   node test/bench/step-overhead.ts    (env: BENCH_SESSIONS=10, BENCH_STEPS=50, BENCH_PROBED_SESSIONS=3)
 */
import { SessionIndexEntry } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { microClock, publishAckSampler, serverClockOffsetUs, workQueueHopSampler } from './harness/jetstream.ts';
import { runBench } from './harness/lifecycle.ts';
import { rawRequestReply } from './harness/request-reply.ts';
import { readStoredEvents, runSession, startBenchNats, startBenchRuntime, startMessageProbe, type BenchRuntime } from './harness/runtime.ts';
import { summarise } from './harness/stats.ts';
import { reportStepOverhead } from './harness/step-report.ts';
import { stepTimings, type StepTiming } from './harness/step-timeline.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 10);
const stepsPerSession = Number(process.env['BENCH_STEPS'] ?? 50);
const probedSessions = Number(process.env['BENCH_PROBED_SESSIONS'] ?? 3);
const payloadBytes = 300;
const sessionTimeoutMs = 20_000;
const agentName = 'bench-steps';

// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
const noop = defineTool({ name: 'bench.noop', description: 'Does nothing, at once.', input: SessionIndexEntry.pick({}), run: () => 'ok' });

await runBench('step-overhead', 55_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const publishAck = await publishAckSampler(nats.nc, 'puback', { payloadBytes });
  const appendShaped = await publishAckSampler(nats.nc, 'append', { payloadBytes, appendShaped: true });
  const hop = await workQueueHopSampler(nats.nc, { payloadBytes });
  teardown.add('hop consumer', () => hop.close());
  const { raw: requestReply } = await rawRequestReply(teardown, nats.server.url, { requestBytes: payloadBytes, replyBytes: payloadBytes });
  // Baseline batches run between sessions, so both figures see the machine in the same state.
  const baselineBatch = async (warmup = false) => {
    await publishAck.sample(200, { warmup });
    await appendShaped.sample(100, { warmup });
    await hop.sample(100, { warmup });
    await requestReply.sample(100, { warmup });
  };
  await baselineBatch(true);

  // The injected clock stamps events in µs (integers still): ms stamps would round a few-ms step to whole ms.
  const runtime = await startBenchRuntime(teardown, nats, [toolExecutorService({ tools: [noop] }), sessionActorService({ clock: microClock }), permissionBrokerService()]);
  await runtime.client.applyAgent({
    name: agentName,
    model: 'scripted',
    tools: [noop.name],
    budget: { maxSteps: stepsPerSession + 10 },
    script: [...Array.from({ length: stepsPerSession }, () => ({ tool: noop.name, input: {} })), { final: 'done' }],
  });
  const run = runSessions(runtime, Date.now().toString(36));
  await run('warmup', 1);

  const usage = { cpuUs: 0, busyMs: 0, idleMs: 0 };
  const measured: string[] = [];
  for (let session = 1; session <= sessions; session++) {
    await baselineBatch();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    measured.push(...(await run('measured', 1)));
    const loop = performance.eventLoopUtilization(loopBefore);
    const cpu = process.cpuUsage(cpuBefore);
    usage.cpuUs += cpu.user + cpu.system;
    usage.busyMs += loop.active;
    usage.idleMs += loop.idle;
  }

  // A few more sessions with a probe thread noting when each job and result passes the server. The probe
  // costs CPU on this machine's two cores, so these sessions only split the step; the headline excludes them.
  let seen: Map<string, number> | undefined;
  let probed: string[] = [];
  if (probedSessions > 0) {
    const probe = await startMessageProbe(nats.server.url, [runtime.names.subjects.allToolJobs, runtime.names.subjects.allInbox]);
    teardown.add('message probe', () => probe.stop());
    probed = await run('probed', probedSessions);
    seen = await probe.stop();
  }

  const serverOffsetUs = await serverClockOffsetUs(nats.nc, publishAck);
  const timingsOf = async (sessionIds: string[]) => {
    const steps: StepTiming[] = [];
    for (const sessionId of sessionIds) {
      steps.push(...stepTimings(await readStoredEvents(nats.nc, runtime.names, sessionId), { serverOffsetUs, probed: seen }));
    }
    return steps;
  };
  const steps = await timingsOf(measured);
  if (steps.length === 0) throw new Error('no steps were measured');
  reportStepOverhead({
    server: nats.nc.info?.version ?? 'unknown',
    sessions,
    stepsPerSession,
    publishAck: summarise(publishAck.latenciesMs),
    appendShaped: summarise(appendShaped.latenciesMs),
    hop: summarise(hop.latenciesMs),
    requestReply: summarise(requestReply.latenciesMs),
    steps,
    probedSteps: await timingsOf(probed),
    cpuMsPerStep: usage.cpuUs / 1000 / steps.length,
    loopBusy: usage.busyMs / (usage.busyMs + usage.idleMs),
  });
});

/** Runs sessions one after another; returns their ids. */
function runSessions(runtime: BenchRuntime, runId: string) {
  let counter = 0;
  return async (label: string, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const sessionId = `bench-${runId}-${label}-${++counter}`;
      await runSession(runtime, agentName, sessionId, sessionTimeoutMs);
      ids.push(sessionId);
    }
    return ids;
  };
}
