import type { JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { reservedInboxTokens, toSubjectToken, type Naming } from '@signalbox/events';
import { createProviderRegistry } from '@signalbox/models';
import { removeDurable, startDurableWorker, startTimerForwarder, type InProcessPermissions, type InProcessTools, type Logger, type RuntimeConfig, type RuntimeMetrics, type Service } from '@signalbox/runtime';
import { EventStore, MemoryStore, readVaultKeys, SecretVault, TranscriptStore } from '@signalbox/store';
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { BudgetCeiling } from './core/budget-ceiling.ts';
import { defaultMaxTaskBytes } from './core/task-admission.ts';
import { failSessionOf, handleInboxCommand } from './shell/inbox.ts';
import type { ChildSessions } from './shell/subagents.ts';
import { adoptOrphanedResults, type OrphanedResultsDeps } from './shell/orphaned-results.ts';
import { modelResolver, type ModelResolver } from './shell/model-caller.ts';
import { vaultProviderKeys } from './shell/provider-keys.ts';
import { listenForInterrupts } from './shell/interrupts.ts';
import { countAppended } from './shell/appended-metrics.ts';
import { SessionTraces } from './shell/session-traces.ts';
import { SessionRunner } from './shell/session-runner.ts';
import { answerDeadTask, handleTask } from './shell/task-ingress.ts';
import { openSessionSnapshotStore } from './shell/session-snapshots.ts';

export interface SessionActorOptions {
  resolveModel?: ModelResolver;
  /** Sessions this process works on at once. */
  concurrency?: number;
  maxTaskBytes?: number;
  /** Events between session snapshots (default: the config's); a cold session resumes from its snapshot plus the events after it. 0 turns them off. */
  snapshotEvery?: number;
  clock?: () => number;
  /**
   * How long after this actor stops pulling the server deletes its own inbox durable (default: twice
   * the ack wait), and how often every actor looks for results left to actors gone that long
   * (default: a third of the ack wait), as a crashed worker's messages come back after the ack wait.
   */
  ownInboxIdleMs?: number;
  adoptEveryMs?: number;
  /** How long a tool call waits for a permission broker's verdict before it is denied (default: the config's). */
  permissionCheckTimeoutMs?: number;
  /** Send the models' text as it arrives on each session's live subject (default: the config's, on). */
  liveOutput?: boolean;
  /** The tool executors of this process (`toolExecutorService`'s `inProcess`), which run the calls they take here. */
  inProcessTools?: InProcessTools;
  /** The permission brokers of this process (`permissionBrokerService`'s `inProcess`), which answer its checks without a request. */
  inProcessPermissions?: InProcessPermissions;
}

/**
 * The session actor pool: tasks in, session logs out. Every replica shares the durables for tasks
 * and for sessions' inboxes, and has its own for the results of the tool calls it dispatched.
 */
export function sessionActorService(options: SessionActorOptions = {}): Service {
  return {
    name: 'session-actor',
    start: async ({ nc, names, logger, config, metrics, tracing }) => {
      // The one writer of session logs: it opens the appending store itself, where every other
      // service has only the host's read-only view (`ServiceContext.store`).
      const store = await EventStore.open(nc, names);
      const kvm = new Kvm(nc);
      const actor = actorToken(config.instance);
      const runner = new SessionRunner({
        nc,
        names,
        store,
        snapshots: await openSessionSnapshotStore(nc, names),
        transcripts: await TranscriptStore.open(nc, names),
        snapshotEvery: options.snapshotEvery ?? config.sessionActor.snapshotEvery,
        logger,
        sessionIndex: await kvm.open(names.buckets.sessions),
        resolveModel: options.resolveModel ?? liveModels(nc, names, config),
        instance: config.instance,
        clock: options.clock ?? Date.now,
        newId: monotonicFactory(pooledRandom()),
        onAppended: countAppended(metrics),
        ...(tracing ? { traces: new SessionTraces(tracing.tracer) } : {}),
        actor,
        permissionCheckTimeoutMs: options.permissionCheckTimeoutMs ?? config.sessionActor.permissionCheckTimeoutMs,
        eventPartitions: config.eventPartitions,
        liveOutput: options.liveOutput ?? config.sessionActor.liveOutput,
        memory: await MemoryStore.open(nc, names),
        ...(options.inProcessTools ? { inProcessTools: options.inProcessTools } : {}),
        ...(options.inProcessPermissions ? { inProcessPermissions: options.inProcessPermissions } : {}),
      });
      const ingress = { nc, names, store, runner, agents: await kvm.open(names.buckets.agents), maxTaskBytes: options.maxTaskBytes ?? defaultMaxTaskBytes, logger, budgetCeiling: config.sessionActor.budgetCeiling };
      const { concurrency, maxDeliver } = config.sessionActor;
      const common = { nc, names, logger, concurrency: options.concurrency ?? concurrency, ackWaitMs: config.ackWaitMs, maxDeliver, metrics };
      const tasks = await startDurableWorker({
        ...common,
        stream: names.streams.tasks,
        durable: 'session-actor-tasks',
        filterSubject: names.subjects.allTasks,
        deadLetterSource: 'tasks',
        handle: (message) => handleTask(ingress, message),
        onDeadLetter: (message, reason, seq) => answerDeadTask(ingress, message, reason, seq),
      });
      const children = { nc, names, agents: ingress.agents, logger };
      const inboxes = await startInboxes({ worker: common, runner, store, actor, budgetCeiling: config.sessionActor.budgetCeiling, children, ownInboxIdleMs: options.ownInboxIdleMs, adoptEveryMs: options.adoptEveryMs });
      // Every process that runs actors delivers fired timers, so a timer needs no service of its own.
      const timers = await startTimerForwarder({ nc, names, logger, ackWaitMs: config.ackWaitMs, metrics });
      const interrupts = listenForInterrupts(nc, names, { calls: runner.inFlight, onTheWay: runner.interruptsOnTheWay }, logger);
      return {
        stop: async () => {
          interrupts.unsubscribe();
          await Promise.all([tasks.stop(), inboxes.stop(), timers.stop()]);
          await runner.settled();
        },
      };
    },
  };
}

/**
 * This actor's token in its own inbox's subjects: its instance name (which defaults to
 * `<hostname>-<pid>`, and host names hold dots), never the token of a command's own subject (approvals, interventions).
 */
function actorToken(instance: string): string {
  const token = toSubjectToken(instance);
  return reservedInboxTokens.includes(token) ? `${token}_` : token;
}

/** Agents' models from the registry, keyed from the environment or, for an agent that names one, a vault secret. */
function liveModels(nc: NatsConnection, names: Naming, config: RuntimeConfig): ModelResolver {
  const registry = createProviderRegistry(config.models);
  let vault: Promise<SecretVault> | undefined;
  const openVault = () =>
    (vault ??= SecretVault.open(nc, names).catch((error: unknown) => {
      vault = undefined;
      throw error;
    }));
  return modelResolver(registry, vaultProviderKeys({ registry, vault: openVault, keys: readVaultKeys(config.secrets) }));
}

interface InboxesDeps {
  /** What every durable worker of the actor shares. */
  worker: { nc: NatsConnection; names: Naming; logger: Logger; concurrency: number; ackWaitMs: number; maxDeliver: number; metrics: RuntimeMetrics };
  runner: SessionRunner;
  /** The log, which a fork's first events are read from. */
  store: EventStore;
  actor: string;
  budgetCeiling: BudgetCeiling;
  children: ChildSessions;
  ownInboxIdleMs: number | undefined;
  adoptEveryMs: number | undefined;
}

/**
 * The shared inbox durable (forks; results whose actor is gone), this actor's own (results of the
 * calls it dispatched, so a session's next step runs where its state is cached), and the search for
 * results left to actors that are gone. The shared one first: a work-queue stream's consumers may
 * not overlap, and an older shared durable took all of `inbox.>`.
 */
async function startInboxes(deps: InboxesDeps): Promise<{ stop(): Promise<void> }> {
  const { runner, store, actor, budgetCeiling, children } = deps;
  const { nc, names, logger, ackWaitMs } = deps.worker;
  const worker = {
    ...deps.worker,
    stream: names.streams.inbox,
    deadLetterSource: 'inbox',
    handle: (message: JsMsg) => handleInboxCommand({ runner, store, names, budgetCeiling, children }, message),
    onDeadLetter: (message: JsMsg, reason: string) => failSessionOf(runner, names, message, reason),
  };
  const shared = await startDurableWorker({ ...worker, durable: 'session-actor-inbox', filterSubject: names.subjects.sessionInboxes });
  // Answers to approvals come on a subject of their own (so NATS permissions can keep tool executors off it), shared by every actor.
  const approvals = await startDurableWorker({ ...worker, durable: 'session-actor-approvals', filterSubject: names.subjects.allApprovals });
  // A supervisor's interventions likewise: NATS permissions keep everyone but supervisors off it.
  const interventions = await startDurableWorker({ ...worker, durable: 'session-actor-interventions', filterSubject: names.subjects.allInterventions });
  // And the grader's grades: NATS permissions keep everyone but graders off it.
  const grades = await startDurableWorker({ ...worker, durable: 'session-actor-grades', filterSubject: names.subjects.allGrades });
  // And a conversation's messages, interrupts and closes: NATS permissions keep tool executors off it.
  const messages = await startDurableWorker({ ...worker, durable: 'session-actor-messages', filterSubject: names.subjects.allMessages });
  // And delegations' child starts and results: NATS permissions keep everyone but session actors off it.
  const subagents = await startDurableWorker({ ...worker, durable: 'session-actor-subagents', filterSubject: names.subjects.allSubagents });
  const own = await startDurableWorker({
    ...worker,
    durable: ownInboxDurable(actor),
    filterSubject: names.subjects.actorInboxes(actor),
    deleteWhenIdleMs: deps.ownInboxIdleMs ?? 2 * ackWaitMs,
  });
  let adopting: Promise<unknown> | undefined;
  const adoption = setInterval(() => {
    adopting ??= adoptOrphanedResults({ nc, names, logger, durableOf: ownInboxDurable })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not look for results left to stopped actors; will look again'))
      .finally(() => (adopting = undefined));
  }, deps.adoptEveryMs ?? ackWaitMs / 3);
  return {
    stop: async () => {
      clearInterval(adoption);
      await Promise.all([shared.stop(), approvals.stop(), interventions.stop(), grades.stop(), messages.stop(), subagents.stop(), own.stop(), adopting]);
      await handOver({ nc, names, logger, durableOf: ownInboxDurable }, actor);
    },
  };
}

/**
 * A stopping actor hands its results over at once, instead of leaving them until the server drops
 * its idle durable: the durable goes, and what waits on its subjects moves to the sessions' shared
 * inboxes. Results that arrive later are moved by the other actors' next search.
 */
async function handOver(deps: OrphanedResultsDeps, actor: string): Promise<void> {
  try {
    await removeDurable(deps.nc, deps.names.streams.inbox, deps.durableOf(actor));
  } catch (error) {
    deps.logger.warn({ err: error }, "could not hand this actor's results over; the others take them once its inbox durable expires");
    return;
  }
  await adoptOrphanedResults(deps).catch((error: unknown) => deps.logger.warn({ err: error }, "could not move this actor's results; the others will"));
}

function ownInboxDurable(actor: string): string {
  return `session-actor-inbox-${actor}`;
}

/** ulid's default draws one byte from the OS per character; this draws 4 KiB at a time. */
function pooledRandom(size = 4096): () => number {
  const pool = new Uint8Array(size);
  let next = size;
  return () => {
    if (next >= size) {
      randomFillSync(pool);
      next = 0;
    }
    return (pool[next++] ?? 0) / 256;
  };
}
