import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { currentHarness, HarnessUnavailable, type Harness, type HarnessChoice } from './harness-choice.ts';
import { readyTimeoutMs, type LaunchServer, type RunningServer } from './running-server.ts';
import { containerLauncher } from './server-container.ts';
import { processLauncher } from './server-process.ts';

/** A nats-server with JetStream, on a free loopback port, with its own temp dir: a process or a container. */
export interface NatsServer {
  readonly harness: Harness;
  readonly url: string;
  readonly port: number;
  /** The HTTP monitoring endpoint (`/varz`, `/healthz`): `http://127.0.0.1:<port>`. */
  readonly monitorUrl: string;
  readonly storeDir: string;
  /** The host pid of the running nats-server (a restart changes it); undefined once it was stopped or killed. */
  readonly pid: number | undefined;
  /** SIGTERM and wait: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  /** Suspends the server (SIGSTOP, in a container too): connections stay open and nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Start again on the same ports and store dir (after stop or kill). */
  restart(): Promise<void>;
  /** Stop and delete the store dir. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** Extra command-line arguments (cluster settings, for example). */
  args?: string[];
  /** A config file's body (`jetstream { sync_interval: always }`), passed with `-c`; command-line flags win over it. */
  config?: string;
  /** Set to share a dir between restarts or nodes; otherwise a fresh temp dir. */
  storeDir?: string;
  /** Host dirs the config names files in (TLS certificates, for example): a container sees them at the same path. */
  mounts?: string[];
  port?: number;
  name?: string;
  /** Overrides the run's harness, for the tests of the harness itself. */
  harness?: Harness;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const choice = await currentHarness();
  const harness = options.harness ?? choice.harness;
  const launcherWith = launcher(harness, choice);
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'sbx-nats-')));
  // Made here, not by nats-server, or Docker would create a missing mount source as root.
  await mkdir(storeDir, { recursive: true });
  const configDir = options.config === undefined ? undefined : await writeConfig(options.config);
  const launch = launcherWith([storeDir, ...(configDir ? [configDir] : []), ...(options.mounts ?? [])]);
  const argsFor = (port: number, monitorPort: number) => {
    const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', storeDir];
    if (configDir) args.push('-c', join(configDir, 'server.conf'));
    args.push(...(options.args ?? []));
    if (options.name) args.push('-n', options.name);
    return args;
  };
  const launched = await launchOnFreePorts(launch, argsFor, options.port);
  const { port, args, monitorUrl } = launched;
  let { running } = launched;

  return {
    harness,
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl,
    storeDir,
    get pid() {
      return running.pid;
    },
    stop: () => running.stop(),
    kill: () => running.kill(),
    freeze: () => running.freeze(),
    thaw: () => running.thaw(),
    restart: async () => {
      await running.stop();
      running = await launchHealthy(launch, args, monitorUrl);
    },
    dispose: async () => {
      await running.stop();
      await rm(storeDir, { recursive: true, force: true });
      if (configDir) await rm(configDir, { recursive: true, force: true });
    },
  };
}

/** Throws before any temp dir is made when containers were asked for and cannot run. */
function launcher(harness: Harness, choice: HarnessChoice): (mounts: string[]) => LaunchServer {
  if (harness === 'process') return () => processLauncher(choice.binary);
  const { image, run } = choice;
  if (!image) throw new HarnessUnavailable('container_harness_unavailable', `cannot start nats-server in a container: ${choice.why}`);
  return (mounts) => containerLauncher({ image, run, mounts });
}

async function writeConfig(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-nats-conf-'));
  await writeFile(join(dir, 'server.conf'), body);
  return dir;
}

/** Launches tried before giving up on ports another process keeps taking first. */
const portRaces = 3;

/**
 * Launches on free ports (`port` when the caller chose it). Test files run in several processes, each
 * picking ports of its own: one may bind a port between another's pick and its server's bind, which
 * nats-server reports as `address already in use`. Then the ports are picked again.
 */
export async function launchOnFreePorts(launch: LaunchServer, argsFor: (port: number, monitorPort: number) => string[], chosenPort: number | undefined) {
  for (let attempt = 1; ; attempt += 1) {
    const port = chosenPort ?? (await freePort());
    const monitorPort = await freePort();
    const args = argsFor(port, monitorPort);
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    try {
      return { running: await launchHealthy(launch, args, monitorUrl), port, args, monitorUrl };
    } catch (error) {
      if (attempt >= portRaces || !String(error).includes('address already in use')) throw error;
    }
  }
}

/** Launches and resolves once JetStream reports healthy (a cluster node: once it has a meta leader). */
async function launchHealthy(launch: LaunchServer, args: string[], monitorUrl: string): Promise<RunningServer> {
  const running = await launch(args);
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await isHealthy(`${monitorUrl}/healthz`))) {
    if (Date.now() > deadline) {
      await running.kill();
      throw new Error(`nats-server JetStream not healthy after ${readyTimeoutMs} ms (${monitorUrl}/healthz)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return running;
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}
