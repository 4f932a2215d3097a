import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming, type SessionEvent } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { startWorker, type WorkerProcess } from './processes.ts';

/** A scripted agent that calls `tool` (`ledger.record` or `ledger.note`, see worker-process.ts) `toolCalls` times, then answers. */
function recorderAgent(toolCalls: number, tool: string) {
  return {
    name: 'recorder',
    model: 'scripted',
    tools: [tool],
    budget: { maxSteps: toolCalls + 1 },
    script: [...Array.from({ length: toolCalls }, (_, i) => ({ tool, input: { note: `step ${i + 1}` } })), { final: 'recorded everything' }],
  };
}

/** Sessions that have ended, by the session index (a paused session has not). */
export async function completedCount(client: SignalboxClient): Promise<number> {
  return (await client.sessions()).filter((session) => session.status !== 'running' && session.status !== 'paused').length;
}

/**
 * Waits until `ids.length` sessions have ended and returns the logs of `ids`; on timeout, throws with
 * what `diagnose` says about the ones still running.
 */
export async function completedLogs(
  client: SignalboxClient,
  ids: readonly string[],
  timeoutMs: number,
  diagnose: () => Promise<string> = async () => '',
): Promise<SessionEvent[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await completedCount(client);
    if (done >= ids.length) break;
    if (Date.now() > deadline) throw new Error(`only ${done} of ${ids.length} sessions completed in ${timeoutMs} ms:\n${await diagnose()}`);
    await sleep(250);
  }
  return Promise.all(ids.map((id) => client.events(id)));
}

export interface RecorderRunOptions {
  /** Names the run's ledger file and its session ids (`<name>-<i>`). */
  name: string;
  sessions: number;
  toolCalls: number;
  ackWaitMs: number;
  /** How long each `ledger.record` call takes. */
  toolMs: number;
  /** The services of each worker process to start. */
  workers: string[][];
  /** The tool the sessions call: `ledger.record` (the default; must not run twice) or `ledger.note` (may). */
  tool?: 'ledger.record' | 'ledger.note';
  /** More environment for the workers (SIGNALBOX_EXECUTOR_IN_PROCESS, say). */
  workerEnv?: Record<string, string>;
}

/** A nats-server, worker processes running the recorder agent's tool, and a client: what each fault test starts from. */
export interface RecorderRun {
  server: NatsServer;
  nc: NatsConnection;
  client: SignalboxClient;
  /** The worker processes; a test replaces entries as it restarts them. */
  workers: WorkerProcess[];
  /** Environment for a worker started later. */
  env: Record<string, string>;
  ids: string[];
  /** Publishes one task per session id, from any NATS client's point of view. */
  submitAll(): Promise<void>;
  /** The idempotency keys the tool really ran for, one per execution. */
  executions(): string[];
  dispose(): Promise<void>;
}

export async function startRecorderRun(options: RecorderRunOptions): Promise<RecorderRun> {
  const server = await startNatsServer();
  const ledgerFile = join(tmpdir(), `sbx-${options.name}-${process.pid}-${Date.now()}.txt`);
  writeFileSync(ledgerFile, '');
  const env = { NATS_URL: server.url, FAULT_LEDGER: ledgerFile, SIGNALBOX_ACK_WAIT_MS: String(options.ackWaitMs), FAULT_TOOL_MS: String(options.toolMs), ...options.workerEnv };
  const nc = await connect({ servers: server.url });
  await provision(nc, naming());
  const client = await SignalboxClient.open(nc);
  await client.applyAgent(recorderAgent(options.toolCalls, options.tool ?? 'ledger.record'));
  const workers: WorkerProcess[] = [];
  for (const services of options.workers) workers.push(await startWorker(services, env));
  const ids = Array.from({ length: options.sessions }, (_, i) => `${options.name}-${i}`);
  return {
    server,
    nc,
    client,
    workers,
    env,
    ids,
    submitAll: async () => {
      const js = jetstream(nc);
      await Promise.all(ids.map((sessionId) => js.publish('sbx.tasks.recorder', JSON.stringify({ input: 'record', sessionId }))));
    },
    executions: () => readFileSync(ledgerFile, 'utf8').split('\n').filter(Boolean),
    dispose: async () => {
      await Promise.all(workers.map((worker) => worker.kill()));
      await nc.close();
      await server.dispose();
      rmSync(ledgerFile, { force: true });
    },
  };
}
