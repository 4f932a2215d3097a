import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@signalbox/testing';
import { withTimeout, type Teardown } from './lifecycle.ts';
import { peerFile } from './peer-packages.ts';
import { startWorkerProcesses, stopChild } from './worker-processes.ts';

/** A Restate server of its own (fresh data folder, loopback ports) with the benchmark's agent service registered. */
export interface BenchRestate {
  /** The server's and the service's processes. */
  pids: { 'restate-server': number | undefined; 'restate-service': number | undefined };
  /** Runs `sessions` invocations of `agent/run` at once, each of `steps` steps; resolves with the model calls they made. */
  invoke(sessions: number, steps: number): Promise<number>;
}

const serviceWorker = new URL('./restate-service-worker.ts', import.meta.url);
const startTimeoutMs = 30_000;
const invocationTimeoutMs = 120_000;

export async function startBenchRestate(teardown: Teardown): Promise<BenchRestate> {
  const binary = peerFile(`@restatedev/restate-server-${process.platform}-${process.arch}/bin/restate-server`);
  const folder = await mkdtemp(join(tmpdir(), 'bench-restate-'));
  teardown.add('restate data folder', () => rm(folder, { recursive: true, force: true }));
  const [node, ingress, admin] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    RESTATE_BASE_DIR: folder,
    RESTATE_LISTEN_MODE: 'tcp',
    RESTATE_BIND_ADDRESS: `127.0.0.1:${node}`,
    RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${node}`,
    RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
    RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
    RESTATE_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: '1',
    RESTATE_LOG_FILTER: 'error',
  };
  const logPath = join(folder, 'server.log');
  const log = openSync(logPath, 'w');
  const server = spawn(binary, ['--no-logo'], { env, stdio: ['ignore', log, log] });
  teardown.add('restate-server', () => stopChild(server, 10_000));
  const adminUrl = `http://127.0.0.1:${admin}`;
  const ingressUrl = `http://127.0.0.1:${ingress}`;
  await withTimeout(untilHealthy(`${adminUrl}/health`, server), startTimeoutMs, 'restate-server to start').catch(async (error: unknown) => {
    // The data folder, log and all, goes with the teardown: say what the server said first.
    const said = await readFile(logPath, 'utf8').catch(() => '');
    throw new Error(`${error instanceof Error ? error.message : String(error)}; its log ends:\n${said.slice(-2_000)}`);
  });

  const servicePort = await freePort();
  const service = await startWorkerProcesses(teardown, serviceWorker, 1, { PORT: String(servicePort) });
  const registered = await fetch(`${adminUrl}/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: `http://127.0.0.1:${servicePort}` }) });
  if (!registered.ok) throw new Error(`registering the agent service with restate-server: ${registered.status} ${await registered.text()}`);

  const invokeOne = async (steps: number): Promise<number> => {
    const response = await fetch(`${ingressUrl}/agent/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ steps }) });
    if (!response.ok) throw new Error(`agent/run: ${response.status} ${await response.text()}`);
    const { modelCalls } = (await response.json()) as { modelCalls: number };
    if (modelCalls !== steps + 1) throw new Error(`agent/run made ${modelCalls} model calls, not ${steps + 1}`);
    return modelCalls;
  };
  const invoke = async (sessions: number, steps: number) => {
    const calls = await withTimeout(Promise.all(Array.from({ length: sessions }, () => invokeOne(steps))), invocationTimeoutMs, `${sessions} Restate invocations`);
    return calls.reduce((sum, each) => sum + each, 0);
  };
  return { pids: { 'restate-server': server.pid, 'restate-service': service.pids[0] }, invoke };
}

/** Polls `url` until it answers 200; fails as soon as `server` exits. */
async function untilHealthy(url: string, server: ChildProcess): Promise<void> {
  let exited: string | undefined;
  server.once('exit', (code, signal) => (exited = `restate-server exited with ${signal ?? code}`));
  for (;;) {
    if (exited !== undefined) throw new Error(exited);
    const ok = await fetch(url).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
