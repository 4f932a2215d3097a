import type { Readable } from 'node:stream';
import { GenericContainer, PullPolicy, Wait, type StartedTestContainer } from 'testcontainers';
import { containerLabels, containerRuntime, type TestRun } from './container-runtime.ts';
import { readyTimeoutMs, type LaunchServer, type RunningServer } from './running-server.ts';
import { stopProcess } from './process-stop.ts';

export interface ContainerSetup {
  image: string;
  run: TestRun;
  /** Host dirs the server reads or writes (store dir, config): mounted at the same path, so the args name them alike. */
  mounts: string[];
}

/**
 * The container harness: nats-server in a container of the local image, through testcontainers. Host
 * networking keeps it on the free loopback ports the caller chose; each launch is a new container
 * (a restart after a kill finds its data in the mounted store dir).
 */
export function containerLauncher({ image, run, mounts }: ContainerSetup): LaunchServer {
  return async (args) => {
    const runtime = await containerRuntime();
    let log = '';
    let logs: Readable | undefined;
    const started = await new GenericContainer(image)
      .withPullPolicy(PullPolicy.neverPull())
      .withNetworkMode('host')
      // Files in the mounted dirs stay the user's, so disposing can delete them.
      .withUser(`${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`)
      .withBindMounts(mounts.map((dir) => ({ source: dir, target: dir })))
      .withLabels(containerLabels(run))
      .withCommand(args)
      .withLogConsumer((stream) => {
        logs = stream;
        stream.on('data', (chunk: Buffer | string) => void (log += chunk.toString()));
      })
      .withWaitStrategy(Wait.forLogMessage('Server is ready'))
      .withStartupTimeout(readyTimeoutMs)
      .start()
      .catch((error: unknown) => {
        throw new Error(`nats-server container (${image}) not ready: ${String(error)}\n${log}`, { cause: error });
      })
      .finally(() => logs?.destroy());
    const container = runtime.container.getById(started.getId());
    return runningContainer(started, container, (await container.inspect()).State.Pid);
  };
}

type Container = ReturnType<Awaited<ReturnType<typeof containerRuntime>>['container']['getById']>;

function runningContainer(started: StartedTestContainer, container: Container, pid: number): RunningServer {
  let exited = false;
  const ifRunning = async (end: () => Promise<unknown>) => {
    if (exited) return;
    // A stopped process acts on SIGTERM only once it runs again (SIGKILL it takes either way); one
    // that died by itself has no pid left to signal.
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // ESRCH: nothing to wake.
    }
    await end();
    exited = true;
  };
  return {
    get pid() {
      return exited ? undefined : pid;
    },
    stop: () => ifRunning(() => started.stop({ timeout: 10_000, remove: true })),
    kill: () =>
      ifRunning(async () => {
        await container.kill({ signal: 'SIGKILL' }).catch(unlessGone);
        await container.wait().catch(unlessGone);
        await container.remove({ force: true }).catch(unlessGone);
      }),
    // SIGSTOP to the container's only process (its host pid) rather than `docker pause`: cgroup v1's
    // freezer failed here in 2 of 5 pauses ("unable to freeze") while nats-server was fsyncing.
    freeze: () => stopProcess(pid),
    thaw: async () => void process.kill(pid, 'SIGCONT'),
  };
}

/**
 * Killing a container that already ended (nats-server exited by itself, or a cleanup of another run
 * removed it) leaves nothing to do: Docker's 409 "is not running" and 404 "no such container" say so.
 */
function unlessGone(error: unknown): void {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  if (status === 409 || status === 404) return;
  throw error;
}
