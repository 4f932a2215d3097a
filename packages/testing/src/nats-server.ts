import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** A nats-server process with JetStream, on a free loopback port, with its own temp dir. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** The HTTP monitoring endpoint (`/varz`, `/healthz`): `http://127.0.0.1:<port>`. */
  readonly monitorUrl: string;
  readonly storeDir: string;
  /** The running process's id (a restart changes it); undefined once it exited. */
  readonly pid: number | undefined;
  /** SIGTERM and wait: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and store dir (after stop or kill). */
  restart(): Promise<void>;
  /** Stop and delete the store dir. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  binary?: string;
  /** Extra command-line arguments (cluster settings, for example). */
  args?: string[];
  /** Set to share a dir between restarts or nodes; otherwise a fresh temp dir. */
  storeDir?: string;
  port?: number;
  name?: string;
}

const defaultBinary = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
const readyTimeoutMs = 15_000;

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const monitorPort = await freePort();
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'sbx-nats-')));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', storeDir, ...(options.args ?? [])];
  if (options.name) args.push('-n', options.name);
  const binary = options.binary ?? defaultBinary;
  const health = `http://127.0.0.1:${monitorPort}/healthz`;
  let child = await launch(binary, args, health);

  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    storeDir,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    restart: async () => {
      await waitExit('SIGTERM');
      child = await launch(binary, args, health);
    },
    dispose: async () => {
      await waitExit('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** Spawns the server and resolves once JetStream reports healthy (a cluster node: once it has a meta leader). */
async function launch(binary: string, args: string[], health: string): Promise<ChildProcess> {
  const child = await spawnUntilListening(binary, args);
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await isHealthy(health))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server JetStream not healthy after ${readyTimeoutMs} ms (${health})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

function spawnUntilListening(binary: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${readyTimeoutMs} ms:\n${log}`)), readyTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) =>
      fail(new Error(`cannot start ${binary}: ${error.message}. Install nats-server (apt-get install nats-server) or set NATS_SERVER_BIN.`)),
    );
    child.once('exit', (code) => fail(new Error(`nats-server exited with ${code} before it was ready:\n${log}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // Keep draining stderr so the server never blocks on a full pipe.
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(child);
      }
    });
  });
}
