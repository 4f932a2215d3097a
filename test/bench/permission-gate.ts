/**
 * What the permission gate costs, in one run on one fresh nats-server:
 *   - a permission check (the broker weighing a 20-rule policy and signing a grant) as a ratio to a
 *     plain NATS request/reply on the same server: the headline, held to at most 2x;
 *   - a step with the gate (decider version 3: its own append for the model's reply, the check, the
 *     executor verifying the grant) against one without (version 2, as sessions that started before
 *     the upgrade still run), their sessions interleaved.
 *
 * Each round is a batch of requests of both kinds, then a session of each kind. The rounds stop early
 * when the time budget is spent (a slow gate makes them long), after two at least; the report says so.
 *
 *   node test/bench/permission-gate.ts    (env: BENCH_PAIRS=10, BENCH_STEPS=50, BENCH_CHECKS=1000, BENCH_BUDGET_MS=35000)
 */
import { createUser } from '@nats-io/nkeys';
import { SessionIndexEntry } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { EventStore } from '@signalbox/store';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { benchPolicy } from './harness/bench-policy.ts';
import { grantSigningCost } from './harness/grant-signing-cost.ts';
import { microClock } from './harness/jetstream.ts';
import { runBench } from './harness/lifecycle.ts';
import { permissionCheckBodies, permissionCheckSampler, untilPolicyApplied } from './harness/permission-requests.ts';
import { reportPermissionGate } from './harness/permission-gate-report.ts';
import { rawRequestReply } from './harness/request-reply.ts';
import { readStoredEvents, runSession, startBenchNats, startBenchRuntime, watchSessionEnd } from './harness/runtime.ts';
import { summarise } from './harness/stats.ts';
import { stepTimings, type StepTiming } from './harness/step-timeline.ts';
import { resumeUngatedSession, writeUngatedSession } from './harness/ungated-session.ts';

const pairs = Number(process.env['BENCH_PAIRS'] ?? 10);
const stepsPerSession = Number(process.env['BENCH_STEPS'] ?? 50);
const checks = Number(process.env['BENCH_CHECKS'] ?? 1000);
const measuringBudgetMs = Number(process.env['BENCH_BUDGET_MS'] ?? 30_000);
const replyBytes = 300;
const sessionTimeoutMs = 20_000;
const policyName = 'bench-gate';

// Two instant tools, one per executor: an executor that requires grants refuses every job of an
// ungated session (it carries none), so those sessions' calls go to one that trusts no broker.
// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
const noInput = SessionIndexEntry.pick({});
const gatedNoop = defineTool({ name: 'bench.noop', description: 'Does nothing, at once.', input: noInput, run: () => 'ok' });
const ungatedNoop = defineTool({ name: 'bench.noop_ungated', description: 'Does nothing, at once.', input: noInput, run: () => 'ok' });

type Kind = 'gated' | 'ungated';

await runBench('permission-gate', 70_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const broker = createUser();
  const brokerSeed = new TextDecoder().decode(broker.getSeed());
  const runtime = await startBenchRuntime(
    teardown,
    nats,
    [
      toolExecutorService({ tools: [gatedNoop], grantSigners: [broker.getPublicKey()] }),
      toolExecutorService({ tools: [ungatedNoop], grantSigners: [] }),
      // The injected clock stamps events in µs (integers still): ms stamps would round a few-ms step to whole ms.
      sessionActorService({ clock: microClock }),
      permissionBrokerService(),
    ],
    { permissionBroker: { nkeySeed: brokerSeed } },
  );
  const { names, client } = runtime;
  await client.applyPolicy(benchPolicy(policyName, gatedNoop.name));
  const scriptOf = (tool: string) => [...Array.from({ length: stepsPerSession }, () => ({ tool, input: {} })), { final: 'done' }];
  const budget = { maxSteps: stepsPerSession + 10 };
  const agents = {
    gated: await client.applyAgent({ name: 'bench-gated', model: 'scripted', tools: [gatedNoop.name], policy: policyName, budget, script: scriptOf(gatedNoop.name) }),
    ungated: await client.applyAgent({ name: 'bench-ungated', model: 'scripted', tools: [ungatedNoop.name], budget, script: scriptOf(ungatedNoop.name) }),
  };

  const runId = Date.now().toString(36);
  const checkBodies = permissionCheckBodies(agents.gated, `bench-${runId}-checks`);
  const requestBytes = checkBodies(0).length;
  // The raw requests carry as many bytes as a check; both go from a connection made as the actor's is to a responder on another.
  const { raw, requester } = await rawRequestReply(teardown, nats.server.url, { requestBytes, replyBytes });
  const check = permissionCheckSampler(requester, names, checkBodies);
  await untilPolicyApplied(check);
  // Small alternating batches, between sessions: both figures see the machine in the same state.
  const requestBatch = async (count: number, warmup = false) => {
    for (let done = 0; done < count; done += 25) {
      await raw.sample(Math.min(25, count - done), { warmup });
      await check.sample(Math.min(25, count - done), { warmup });
    }
  };
  await requestBatch(50, true);

  const store = await EventStore.open(nats.nc, names);
  let counter = 0;
  const cpuUs: Record<Kind, number> = { gated: 0, ungated: 0 };
  const runOne = async (kind: Kind): Promise<string> => {
    const sessionId = `bench-${runId}-${kind}-${++counter}`;
    const cpuBefore = process.cpuUsage();
    if (kind === 'gated') {
      await runSession(runtime, agents.gated.name, sessionId, sessionTimeoutMs);
    } else {
      await writeUngatedSession(nats.nc, names, store, sessionId, agents.ungated, microClock);
      await (await watchSessionEnd(runtime, sessionId, sessionTimeoutMs))(() => resumeUngatedSession(nats.nc, names, sessionId));
    }
    const cpu = process.cpuUsage(cpuBefore);
    cpuUs[kind] += cpu.user + cpu.system;
    return sessionId;
  };
  await runOne('gated');
  await runOne('ungated');
  cpuUs.gated = cpuUs.ungated = 0;

  const measured: Record<Kind, string[]> = { gated: [], ungated: [] };
  const measuringSince = performance.now();
  let pair = 0;
  for (; pair < pairs && (pair < 2 || performance.now() - measuringSince < measuringBudgetMs); pair++) {
    await requestBatch(Math.ceil(checks / pairs));
    // Which kind goes first alternates, so neither always runs right after the request batch.
    const order: Kind[] = pair % 2 === 0 ? ['gated', 'ungated'] : ['ungated', 'gated'];
    for (const kind of order) measured[kind].push(await runOne(kind));
  }

  const timingsOf = async (sessionIds: string[]) => {
    const steps: StepTiming[] = [];
    for (const sessionId of sessionIds) steps.push(...stepTimings(await readStoredEvents(nats.nc, names, sessionId), { serverOffsetUs: undefined, probed: undefined }));
    return steps;
  };
  const steps = { gated: await timingsOf(measured.gated), ungated: await timingsOf(measured.ungated) };
  if (steps.gated.some((s) => s.shape !== 'gated') || steps.ungated.some((s) => s.shape !== 'plain')) throw new Error('a session ran under the other decider version');
  if (steps.gated.length === 0 || steps.ungated.length === 0) throw new Error('no steps were measured');
  reportPermissionGate({
    server: nats.nc.info?.version ?? 'unknown',
    pairs: { run: pair, asked: pairs },
    stepsPerSession,
    rules: benchPolicy(policyName, gatedNoop.name).rules.length,
    raw: summarise(raw.latenciesMs),
    check: summarise(check.latenciesMs),
    bytes: { request: requestBytes, rawReply: replyBytes, checkReply: check.lastReplyBytes() },
    steps,
    signing: grantSigningCost(brokerSeed),
    cpuMsPerStep: { gated: cpuUs.gated / 1000 / steps.gated.length, ungated: cpuUs.ungated / 1000 / steps.ungated.length },
  });
});
