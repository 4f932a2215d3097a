/**
 * Per-step overhead of the runtime, as ratios to raw JetStream costs measured in the same run on the
 * same fresh nats-server: step p50 / publish-ack p50 (target ≤ 6x) and step p50 / the design's own I/O
 * floor (its appends, hops and gate requests at raw cost; target ≤ 1.3x). A step is one model turn plus
 * its tool call's round trip; the scripted model and an instant tool leave only the runtime's own cost.
 *
 * Five kinds of sessions (#25 asks for the figures with the gates off, and with them on):
 *   - off: decider version 2, as sessions that started before the permission gate still run. No
 *     setting turns the gate off for a new session (with no broker every call waits for the check's
 *     deadline and is denied), so these are written as such a session is found after an upgrade;
 *   - permission: every session since (the broker's check, then the call); the headline of earlier runs;
 *   - offInProcess, permissionInProcess: the same, on a second installation (prefix `sbxl`, same server,
 *     same process) whose executor runs the calls in the actor's process (SIGNALBOX_EXECUTOR_IN_PROCESS)
 *     and whose broker answers its checks there, as `signalbox up` runs them;
 *   - both: the permission check, then the supervisor's synchronous gate (`supervision.gate`).
 * The first four alternate; the supervisor is started only afterwards (it follows every session, and its CPU
 * would otherwise land on the others' figures), and then the last kind runs.
 *
 * Measured warm, as a service runs after its first minutes: V8 optimizes a function fully (TurboFan) only after
 * about 3,000 calls (Node 24's `--invocation-count-for-turbofan`), and a step calls most of the runtime's
 * functions once, so a fresh process runs its first few thousand steps in less optimized code. Each kind warms up
 * over BENCH_WARMUP_SESSIONS sessions (4,000 steps at the default), and the first of them are reported beside
 * the headline as what a fresh process does. The publish-ack baseline is sampled thousands of times, so both sides
 * of the ratio are compared warm.
 *
 *   node test/bench/step-overhead.ts
 *   (env: BENCH_SESSIONS=10 per kind, BENCH_STEPS=50, BENCH_WARMUP_SESSIONS=80 per kind, BENCH_PROBED_SESSIONS=3,
 *    BENCH_STEP_KINDS=off,permission,offInProcess,permissionInProcess,both,
 *    BENCH_CPU_PROFILE=<dir> for a CPU profile of the measured sessions alone: test/bench/profile-summary.ts reads it)
 */
import { SessionIndexEntry, type Naming } from '@signalbox/events';
import { InProcessPermissions, InProcessTools } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { EventStore } from '@signalbox/store';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { microClock, publishAckSampler, serverClockOffsetUs, workQueueHopSampler } from './harness/jetstream.ts';
import { runBench } from './harness/lifecycle.ts';
import { rawRequestReply } from './harness/request-reply.ts';
import { readStoredEvents, runSession, startBenchNats, startBenchRuntime, startMessageProbe, watchSessionEnd, type BenchRuntime } from './harness/runtime.ts';
import { measuredProfile } from './harness/cpu-profile.ts';
import { summarise } from './harness/stats.ts';
import { reportStepOverhead, ungated, type GateKind, type KindResults } from './harness/step-report.ts';
import { stepTimings, type StepTiming } from './harness/step-timeline.ts';
import { resumeUngatedSession, writeUngatedSession } from './harness/ungated-session.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 10);
const stepsPerSession = Number(process.env['BENCH_STEPS'] ?? 50);
const probedSessions = Number(process.env['BENCH_PROBED_SESSIONS'] ?? 3);
const warmupSessions = Number(process.env['BENCH_WARMUP_SESSIONS'] ?? 80);
const allKinds: readonly GateKind[] = ['off', 'permission', 'offInProcess', 'permissionInProcess', 'both'];
const kinds = (process.env['BENCH_STEP_KINDS']?.split(',') ?? allKinds).map((kind) => {
  if (!allKinds.includes(kind as GateKind)) throw new Error(`BENCH_STEP_KINDS: ${kind} is none of ${allKinds.join(', ')}`);
  return kind as GateKind;
});
const payloadBytes = 300;
const sessionTimeoutMs = 20_000;
const agentNames: Record<GateKind, string> = { off: 'bench-steps-off', permission: 'bench-steps', both: 'bench-steps-gated', offInProcess: 'bench-steps-off', permissionInProcess: 'bench-steps' };

// zod is not a dependency of the root package: the tool's input is any object, as a picked-empty schema allows.
// Its answer differs with its input: the same answer over and over is no progress, which the supervisor's gate would pause.
const noop = defineTool({ name: 'bench.noop', description: 'Answers at once.', input: SessionIndexEntry.pick({}).loose(), run: (input) => `ok ${JSON.stringify(input)}` });

await runBench('step-overhead', 240_000, async (teardown) => {
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
  const [inProcessTools, inProcessPermissions] = [new InProcessTools(), new InProcessPermissions()];
  const services = [toolExecutorService({ tools: [noop], inProcess: inProcessTools }), sessionActorService({ clock: microClock, inProcessTools, inProcessPermissions }), permissionBrokerService({ inProcess: inProcessPermissions })];
  const inProcessRuntime = await startBenchRuntime(teardown, nats, services, { prefix: 'sbxl', toolExecutor: { inProcess: true } });
  // Distinct inputs: the same call fifty times over is a loop, which the supervisor's gate would also pause.
  const script = [...Array.from({ length: stepsPerSession }, (_, index) => ({ tool: noop.name, input: { page: index } })), { final: 'done' }];
  const agent = { model: 'scripted', tools: [noop.name], budget: { maxSteps: stepsPerSession + 10 }, script };
  const installations = await Promise.all([runtime, inProcessRuntime].map((installed) => installation(installed, agent, nats.nc)));
  const run = sessionRunner(Date.now().toString(36), (kind) => (kind === 'offInProcess' || kind === 'permissionInProcess' ? installations[1]! : installations[0]!));

  const profile = await measuredProfile('step-overhead');
  const measured = new Map<GateKind, { ids: string[]; cpuUs: number; busyMs: number; idleMs: number }>(kinds.map((kind) => [kind, { ids: [], cpuUs: 0, busyMs: 0, idleMs: 0 }]));
  const measure = async (kind: GateKind) => {
    await baselineBatch();
    const into = measured.get(kind)!;
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    profile.resume();
    into.ids.push(await run(kind, 'measured'));
    profile.pause();
    const loop = performance.eventLoopUtilization(loopBefore);
    const cpu = process.cpuUsage(cpuBefore);
    into.cpuUs += cpu.user + cpu.system;
    into.busyMs += loop.active;
    into.idleMs += loop.idle;
  };

  const beforeSupervisor = kinds.filter((kind) => kind !== 'both');
  // A fresh process: its first sessions of each kind, reported beside the warm figures.
  const fresh = new Map<GateKind, string[]>(beforeSupervisor.map((kind) => [kind, []]));
  for (let warm = 0; warm < warmupSessions; warm++) {
    for (const kind of beforeSupervisor) {
      const sessionId = await run(kind, 'warmup');
      if (warm < sessions) fresh.get(kind)!.push(sessionId);
    }
  }
  // Alternating, so the kinds see the machine in the same state.
  for (let session = 1; session <= sessions; session++) {
    for (const kind of session % 2 === 0 ? [...beforeSupervisor].reverse() : beforeSupervisor) await measure(kind);
  }

  // A few more sessions with a probe thread noting when each job and result passes the server. The probe
  // costs CPU on this machine's two cores, so these sessions only split the step; the headline excludes them.
  let seen: Map<string, number> | undefined;
  const probed: string[] = [];
  const probedKind = kinds.includes('permission') ? 'permission' : kinds.includes('off') ? 'off' : undefined;
  if (probedSessions > 0 && probedKind !== undefined) {
    const probe = await startMessageProbe(nats.server.url, [runtime.names.subjects.allToolJobs, runtime.names.subjects.allInbox]);
    teardown.add('message probe', () => probe.stop());
    for (let session = 0; session < probedSessions; session++) probed.push(await run(probedKind, 'probed'));
    seen = await probe.stop();
  }

  if (kinds.includes('both')) {
    await startBenchRuntime(teardown, nats, [supervisorService()]);
    // Until the supervisor's replica serves its partitions' gates, a gated session's calls go unanswered.
    for (let warm = 0; warm < 20; warm++) {
      const events = await readStoredEvents(nats.nc, runtime.names, await run('both', 'warmup'));
      if (events.some(({ event }) => event.type === 'supervisor.gated' && !event.data.unanswered)) break;
    }
    // The other kinds warmed the code they share; this warms the supervisor's and its gate's.
    for (let warm = 0; warm < warmupSessions; warm++) await run('both', 'warmup');
    for (let session = 1; session <= sessions; session++) await measure('both');
  }

  const profiled = await profile.save();
  if (profiled) console.log(`CPU profile of the measured sessions: ${profiled}`);
  const serverOffsetUs = await serverClockOffsetUs(nats.nc, publishAck);
  const timingsOf = async (sessionIds: string[], names: Naming = runtime.names) => {
    const steps: StepTiming[] = [];
    for (const sessionId of sessionIds) {
      steps.push(...stepTimings(await readStoredEvents(nats.nc, names, sessionId), { serverOffsetUs, probed: seen }));
    }
    return steps;
  };
  const results: KindResults[] = [];
  for (const [kind, { ids, cpuUs, busyMs, idleMs }] of measured) {
    const steps = await timingsOf(ids, run.runtimeOf(kind).names);
    if (steps.length === 0) throw new Error(`no steps were measured with ${kind}`);
    if (steps.some((s) => s.shape !== (ungated(kind) ? 'plain' : 'gated'))) throw new Error(`a session of kind ${kind} ran under another decider version`);
    const freshSteps = await timingsOf(fresh.get(kind) ?? [], run.runtimeOf(kind).names);
    results.push({ kind, steps, freshSteps, cpuMsPerStep: cpuUs / 1000 / steps.length, loopBusy: busyMs / (busyMs + idleMs) });
  }
  reportStepOverhead({
    server: nats.nc.info?.version ?? 'unknown',
    sessions,
    warmupSessions,
    stepsPerSession,
    publishAck: summarise(publishAck.latenciesMs),
    appendShaped: summarise(appendShaped.latenciesMs),
    hop: summarise(hop.latenciesMs),
    requestReply: summarise(requestReply.latenciesMs),
    kinds: results,
    probedSteps: await timingsOf(probed),
  });
});

/** An installation's runtime, and how it writes a gates-off session (as found after an upgrade). */
interface Installation {
  runtime: BenchRuntime;
  writeUngated: (sessionId: string) => Promise<void>;
}

/** Applies the kinds' agents to an installation. */
async function installation(runtime: BenchRuntime, agent: Record<string, unknown>, nc: BenchRuntime['host']['nc']): Promise<Installation> {
  const off = await runtime.client.applyAgent({ ...agent, name: agentNames.off });
  await runtime.client.applyAgent({ ...agent, name: agentNames.permission });
  await runtime.client.applyAgent({ ...agent, name: agentNames.both, supervision: { gate: true } });
  const store = await EventStore.open(nc, runtime.names);
  return { runtime, writeUngated: (sessionId) => writeUngatedSession(nc, runtime.names, store, sessionId, off, microClock) };
}

/** Runs one session of a kind to its end, on the kind's installation; returns its id. A gates-off session is written as found after an upgrade, then set going. */
function sessionRunner(runId: string, installationOf: (kind: GateKind) => Installation) {
  let counter = 0;
  const run = async (kind: GateKind, label: string): Promise<string> => {
    const sessionId = `bench-${runId}-${kind}-${label}-${++counter}`;
    const { runtime, writeUngated } = installationOf(kind);
    if (!ungated(kind)) {
      await runSession(runtime, agentNames[kind], sessionId, sessionTimeoutMs);
      return sessionId;
    }
    await writeUngated(sessionId);
    await (await watchSessionEnd(runtime, sessionId, sessionTimeoutMs))(() => resumeUngatedSession(runtime.host.nc, runtime.names, sessionId));
    return sessionId;
  };
  return Object.assign(run, { runtimeOf: (kind: GateKind) => installationOf(kind).runtime });
}
