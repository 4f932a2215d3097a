import { Worker } from 'node:worker_threads';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { decodeEventMessage, SessionIndexEntry, type Naming, type SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host, type Service } from '@signalbox/runtime';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { withTimeout, type Teardown } from './lifecycle.ts';

/**
 * A fresh nats-server and a connection of the benchmark's own, both torn down with the benchmark.
 * The connection has nats.js defaults: the baseline is what any client gets, whatever the runtime tunes.
 */
export interface BenchNats {
  server: NatsServer;
  nc: NatsConnection;
}

/** `args`: extra nats-server flags (a profiling port, say); the server is otherwise as every test's. */
export async function startBenchNats(teardown: Teardown, args: string[] = []): Promise<BenchNats> {
  const server = await startNatsServer({ args });
  teardown.add('nats-server', () => server.dispose());
  const nc = await connect({ servers: server.url, name: 'bench' });
  teardown.add('bench connection', () => nc.close());
  return { server, nc };
}

/** The services running in this process, as `signalbox up` runs them, plus a client on the benchmark's connection. */
export interface BenchRuntime {
  host: Host;
  names: Naming;
  client: SignalboxClient;
  sessionIndex: KV;
}

export async function startBenchRuntime(
  teardown: Teardown,
  nats: BenchNats,
  services: readonly Service[],
  /** Settings besides where the server is (a broker's signing seed, say), as RuntimeConfig takes them. */
  settings: Record<string, unknown> = {},
): Promise<BenchRuntime> {
  const host = await startHost(services, RuntimeConfig.parse({ ...settings, natsUrl: nats.server.url, logLevel: 'silent' }));
  teardown.add('host', () => host.stop());
  const client = await SignalboxClient.open(nats.nc, host.names.prefix);
  const sessionIndex = await new Kvm(nats.nc).open(host.names.buckets.sessions);
  return { host, names: host.names, client, sessionIndex };
}

/**
 * Submits a task under `sessionId` and resolves once the session index says it ended. Watching the
 * index (two entries a session) keeps the benchmark off the session's hot path.
 */
export async function runSession(runtime: BenchRuntime, agent: string, sessionId: string, timeoutMs: number): Promise<void> {
  await (await watchSession(runtime, sessionId, timeoutMs))(agent);
}

/**
 * Starts watching the index for `sessionId`, so that a timed run pays for submitting only: the
 * returned function submits the task and resolves once the session ended.
 */
export async function watchSession(runtime: BenchRuntime, sessionId: string, timeoutMs: number): Promise<(agent: string) => Promise<void>> {
  const untilEnded = await watchSessionEnd(runtime, sessionId, timeoutMs);
  return (agent) =>
    untilEnded(async () => {
      const outcome = await runtime.client.submit(agent, { input: 'benchmark', sessionId });
      if (outcome.status !== 'accepted') throw new Error(`session ${sessionId} was not accepted: ${JSON.stringify(outcome)}`);
    });
}

/**
 * Starts watching the index for `sessionId`; the returned function runs `start` (whatever sets the
 * session going: a task, a command to its inbox) and resolves once the session succeeded.
 */
export async function watchSessionEnd(runtime: BenchRuntime, sessionId: string, timeoutMs: number): Promise<(start: () => Promise<void>) => Promise<void>> {
  const watch = await runtime.sessionIndex.watch({ key: sessionId });
  return async (start) => {
    try {
      await start();
      const ended = (async () => {
        for await (const entry of watch) {
          if (entry.operation !== 'PUT') continue;
          const index = SessionIndexEntry.parse(entry.json());
          if (index.status === 'running') continue;
          if (index.status !== 'succeeded') throw new Error(`session ${sessionId} ended ${index.status}: ${index.reason ?? ''}`);
          return;
        }
        throw new Error(`the index watch for ${sessionId} ended early`);
      })();
      // Stopping the watch after a timeout ends the loop with an error nobody awaits any more.
      ended.catch(() => undefined);
      await withTimeout(ended, timeoutMs, `session ${sessionId}`);
    } finally {
      watch.stop();
    }
  };
}

/**
 * Like watchSessionEnd for many sessions through one watch of the whole index: the returned function
 * runs `start` and resolves once every one of `sessionIds` succeeded (fails at the first that did not).
 */
export async function watchSessionsEnd(runtime: BenchRuntime, sessionIds: readonly string[], timeoutMs: number): Promise<(start: () => Promise<void>) => Promise<void>> {
  const waiting = new Set(sessionIds);
  const watch = await runtime.sessionIndex.watch();
  return async (start) => {
    try {
      const ended = (async () => {
        for await (const entry of watch) {
          if (entry.operation !== 'PUT' || !waiting.has(entry.key)) continue;
          const index = SessionIndexEntry.parse(entry.json());
          if (index.status === 'running') continue;
          if (index.status !== 'succeeded') throw new Error(`session ${entry.key} ended ${index.status}: ${index.reason ?? ''}`);
          waiting.delete(entry.key);
          if (waiting.size === 0) return;
        }
        throw new Error('the index watch ended early');
      })();
      ended.catch(() => undefined);
      await start();
      await withTimeout(ended, timeoutMs, `${waiting.size} of ${sessionIds.length} sessions`);
    } finally {
      watch.stop();
    }
  };
}

/** A stored event with the server's store time for it (µs since the epoch, server clock). */
export interface StoredEvent {
  event: SessionEvent;
  storedUs: number;
}

/** The session's whole log, read once it has ended, with each event's server timestamp. */
export async function readStoredEvents(nc: NatsConnection, names: Naming, sessionId: string): Promise<StoredEvent[]> {
  const subject = names.subjects.events(sessionId);
  const last = await (await jetstreamManager(nc)).direct.getMessage(names.streams.events, { last_by_subj: subject });
  if (!last) return [];
  const consumer = await jetstream(nc).consumers.get(names.streams.events, { filter_subjects: subject });
  const messages = await consumer.consume();
  const stored: StoredEvent[] = [];
  try {
    for await (const message of messages) {
      const storedUs = Number(message.timestampNanos / 1000n);
      // A decision's events share one message, and its store time.
      for (const event of decodeEventMessage(message.data)) stored.push({ event, storedUs });
      if (message.seq >= last.seq) break;
    }
  } finally {
    await messages.close();
  }
  return stored;
}

/** The events stream's last sequence: note it before a run to read what the run appended with readEventsAfter. */
export async function lastEventSeq(nc: NatsConnection, names: Naming): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(names.streams.events)).state.last_seq;
}

/**
 * Every event of `sessionIds` appended after stream sequence `afterSeq`, through one consumer of the
 * whole stream (a consumer a session would reach the server's limit on a crowd), by session.
 */
export async function readEventsAfter(nc: NatsConnection, names: Naming, afterSeq: number, sessionIds: readonly string[]): Promise<Map<string, StoredEvent[]>> {
  const bySession = new Map(sessionIds.map((id) => [id, [] as StoredEvent[]]));
  const lastSeq = await lastEventSeq(nc, names);
  if (lastSeq <= afterSeq) return bySession;
  const consumer = await jetstream(nc).consumers.get(names.streams.events, { filter_subjects: names.subjects.allEvents, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 });
  const messages = await consumer.consume();
  try {
    for await (const message of messages) {
      const storedUs = Number(message.timestampNanos / 1000n);
      const events = decodeEventMessage(message.data);
      const log = bySession.get(events[0]?.sessionId ?? '');
      if (log) for (const event of events) log.push({ event, storedUs });
      if (message.seq >= lastSeq) break;
    }
  } finally {
    await messages.close();
  }
  return bySession;
}

/** Arrival times of jobs and tool results, noted off the main thread; see probe-worker.ts. */
export interface MessageProbe {
  /** Stops the probe and returns when each message passed (µs, wall clock), keyed by `Nats-Msg-Id`. */
  stop(): Promise<Map<string, number>>;
}

export async function startMessageProbe(url: string, subjects: readonly string[]): Promise<MessageProbe> {
  const worker = new Worker(new URL('./probe-worker.ts', import.meta.url), { workerData: { url, subjects } });
  // A probe that never answers must not keep the benchmark's process alive.
  worker.unref();
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  if ((await next()) !== 'ready') throw new Error('the message probe did not start');
  let stopped: Promise<Map<string, number>> | undefined;
  return {
    stop: () => {
      stopped ??= (async () => {
        const result = next();
        worker.postMessage('stop');
        const seen = new Map(await withTimeout(result, 5_000, 'stopping the message probe') as [string, number][]);
        await worker.terminate();
        return seen;
      })();
      return stopped;
    },
  };
}
