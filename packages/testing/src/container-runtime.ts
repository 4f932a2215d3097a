import { hostname } from 'node:os';
import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';

/** The test run that owns a container: removed at its end, or by a later run once its owner is gone. */
export interface TestRun {
  id: string;
  /** `<hostname>:<pid>` of the process that owns the run (vitest's main process, or a benchmark). */
  owner: string;
}

const harnessLabel = 'io.signalbox.test-harness';
const runLabel = 'io.signalbox.test-run';
const ownerLabel = 'io.signalbox.test-owner';
const probeTimeoutMs = 10_000;

export function newTestRun(): TestRun {
  return { id: `${Date.now().toString(36)}-${process.pid}`, owner: `${hostname()}:${process.pid}` };
}

export function containerLabels(run: TestRun): Record<string, string> {
  return { [harnessLabel]: 'nats-server', [runLabel]: run.id, [ownerLabel]: run.owner };
}

/** testcontainers' client, set up for this harness; rejects when no Docker daemon answers in time. */
export async function containerRuntime(): Promise<ContainerRuntimeClient> {
  // Ryuk's image cannot be pulled here: the harness removes its containers by label instead.
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  // Containers share the host's network, so their host is loopback. Inside a container testcontainers
  // would otherwise look for a gateway, running an alpine image to find it.
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] = '127.0.0.1';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the Docker daemon did not answer within ${probeTimeoutMs} ms`)), probeTimeoutMs);
  });
  try {
    return await Promise.race([getContainerRuntimeClient(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The containers of `run`, running or not, with the command each runs. */
export async function runContainers(run: TestRun): Promise<{ id: string; command: string }[]> {
  const containers = (await harnessContainers()).filter((container) => container.Labels[runLabel] === run.id);
  return containers.map((container) => ({ id: container.Id, command: container.Command }));
}

/** Removes the containers of `run` (those its tests did not dispose of). */
export async function removeRunContainers(run: TestRun): Promise<void> {
  return removeContainers((labels) => labels[runLabel] === run.id);
}

/** Removes containers left by earlier runs on this host whose owning process is gone (a crash, a kill). */
export async function removeStaleContainers(): Promise<void> {
  return removeContainers((labels) => {
    const [host, pid] = (labels[ownerLabel] ?? '').split(':');
    return host === hostname() && !isAlive(Number(pid));
  });
}

async function harnessContainers() {
  return (await containerRuntime()).container.dockerode.listContainers({ all: true, filters: { label: [harnessLabel] } });
}

async function removeContainers(matches: (labels: Record<string, string>) => boolean): Promise<void> {
  const { dockerode } = (await containerRuntime()).container;
  const doomed = (await harnessContainers()).filter((container) => matches(container.Labels));
  // A container a test is disposing of meanwhile may already be gone: that is the goal anyway.
  await Promise.all(doomed.map((container) => dockerode.getContainer(container.Id).remove({ force: true }).catch(() => undefined)));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
