import type { JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { startDurableWorker, type Service } from '@signalbox/runtime';
import { SnapshotStore, TranscriptStore } from '@signalbox/store';
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { sessionStateVersion, type SessionState } from './core/state.ts';
import { defaultMaxTaskBytes } from './core/task-admission.ts';
import { failSessionOf, handleInboxCommand } from './shell/inbox.ts';
import { adoptOrphanedResults } from './shell/orphaned-results.ts';
import { modelResolverFromEnv, type ModelResolver } from './shell/model-caller.ts';
import { SessionRunner } from './shell/session-runner.ts';
import { failSessionStartedBy, handleTask } from './shell/task-ingress.ts';

export interface SessionActorOptions {
  resolveModel?: ModelResolver;
  /** Sessions this process works on at once. */
  concurrency?: number;
  maxTaskBytes?: number;
  /** Events between session snapshots (default 50); a cold session resumes from its snapshot plus the events after it. 0 turns them off. */
  snapshotEvery?: number;
  clock?: () => number;
  /**
   * How long after this actor stops pulling the server deletes its own inbox durable (default: twice
   * the ack wait), and how often every actor looks for results left to actors gone that long
   * (default: a third of the ack wait), as a crashed worker's messages come back after the ack wait.
   */
  ownInboxIdleMs?: number;
  adoptEveryMs?: number;
}

/** The session actor pool: tasks in, session logs out. Every replica shares the same two durable consumers. */
export function sessionActorService(options: SessionActorOptions = {}): Service {
  return {
    name: 'session-actor',
    start: async ({ nc, names, store, logger, config }) => {
      const kvm = new Kvm(nc);
      // Subject-safe: instance names default to `<hostname>-<pid>`, and host names hold dots.
      const actor = config.instance.replace(/[^A-Za-z0-9_-]/g, '_');
      const runner = new SessionRunner({
        nc,
        names,
        store,
        snapshots: await SnapshotStore.open<SessionState>(nc, names, { stateVersion: sessionStateVersion }),
        transcripts: await TranscriptStore.open(nc, names),
        snapshotEvery: options.snapshotEvery ?? 50,
        logger,
        sessionIndex: await kvm.open(names.buckets.sessions),
        resolveModel: options.resolveModel ?? modelResolverFromEnv(),
        instance: config.instance,
        clock: options.clock ?? Date.now,
        newId: monotonicFactory(pooledRandom()),
        actor,
      });
      const ingress = { nc, names, store, runner, agents: await kvm.open(names.buckets.agents), maxTaskBytes: options.maxTaskBytes ?? defaultMaxTaskBytes };
      // Sessions are worth many tries: a message is dead-lettered only after 20 deliveries, since every
      // crash of a worker redelivers the messages it held, handled or not.
      const common = { nc, names, logger, concurrency: options.concurrency ?? 64, ackWaitMs: config.ackWaitMs, maxDeliver: 20 };
      const tasks = await startDurableWorker({
        ...common,
        stream: names.streams.tasks,
        durable: 'session-actor-tasks',
        filterSubject: names.subjects.allTasks,
        deadLetterSource: 'tasks',
        handle: (message) => handleTask(ingress, message),
        onDeadLetter: (message, reason) => failSessionStartedBy(ingress, message, reason),
      });
      const inboxWorker = { ...common, stream: names.streams.inbox, deadLetterSource: 'inbox' } as const;
      const handleInbox = { handle: (message: JsMsg) => handleInboxCommand(runner, message), onDeadLetter: (message: JsMsg, reason: string) => failSessionOf(runner, names, message, reason) };
      // Commands any actor may take (forks; results of calls whose actor is gone), then this actor's own:
      // results of the calls it dispatched, so a session's next step runs where its state is cached.
      // In that order: a work-queue stream's consumers may not overlap, and an older shared one took `inbox.>`.
      const inbox = await startDurableWorker({ ...inboxWorker, ...handleInbox, durable: 'session-actor-inbox', filterSubject: names.subjects.sessionInboxes });
      const ownInbox = await startDurableWorker({
        ...inboxWorker,
        ...handleInbox,
        durable: ownInboxDurable(actor),
        filterSubject: names.subjects.actorInboxes(actor),
        deleteWhenIdleMs: options.ownInboxIdleMs ?? 2 * config.ackWaitMs,
      });
      const adoption = setInterval(() => {
        adoptOrphanedResults({ nc, names, logger, self: actor, durableOf: ownInboxDurable }).catch((error: unknown) => {
          logger.warn({ err: error }, 'could not look for results left to stopped actors; will look again');
        });
      }, options.adoptEveryMs ?? config.ackWaitMs / 3);
      return {
        stop: async () => {
          clearInterval(adoption);
          await Promise.all([tasks.stop(), inbox.stop(), ownInbox.stop()]);
          await runner.settled();
        },
      };
    },
  };
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
