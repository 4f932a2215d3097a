import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { natsBinary, type NatsBinary } from './nats-binary.ts';
import { natsServerImage } from './nats-image.ts';
import { containerRuntime, newTestRun, removeStaleContainers, type TestRun } from './container-runtime.ts';

export type Harness = 'process' | 'container';

/** How a test run starts nats-server, decided once so that a run never mixes harnesses by accident. */
export interface HarnessChoice {
  harness: Harness;
  /** Why: `testcontainers`, `no Docker: <reason>` (or another reason containers cannot run), or that SIGNALBOX_TEST_HARNESS forced it. */
  why: string;
  /** The binary as the process harness runs it (a path, or a name on PATH). */
  binary: string;
  /** Undefined when the binary could not be run. */
  version: string | undefined;
  /** The image of that binary, whenever Docker is there (on the process harness too, for the container tests). */
  image: string | undefined;
  run: TestRun;
}

/** A harness that was asked for and cannot be had: SIGNALBOX_TEST_HARNESS is not a harness, or containers cannot run. */
export class HarnessUnavailable extends Error {
  override readonly name = 'HarnessUnavailable';
  readonly code: 'harness_setting_invalid' | 'container_harness_unavailable';
  constructor(code: HarnessUnavailable['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Where scripts/nats-server.sh keeps a current nats-server in a checkout: used when NATS_SERVER_BIN is not set. */
const toolingBinary = fileURLToPath(new URL('../../../.tooling/nats-server/usr/sbin/nats-server', import.meta.url));

/** Where the run's global setup hands its choice to the test workers, which start after it. */
const handOverVariable = 'SIGNALBOX_TEST_RUN';

/**
 * Containers when Docker is there, else processes; SIGNALBOX_TEST_HARNESS=process|container forces
 * one. Removes containers that crashed runs left behind, and builds the image when it is missing.
 */
export async function chooseHarness(env: NodeJS.ProcessEnv = process.env): Promise<HarnessChoice> {
  const forced = forcedHarness(env['SIGNALBOX_TEST_HARNESS']);
  const binary = env['NATS_SERVER_BIN'] ?? (existsSync(toolingBinary) ? toolingBinary : 'nats-server');
  const docker = await prepareImage(binary, env);
  const chosen = { binary, version: docker.version, image: docker.image, run: newTestRun() };
  if (forced === 'container' && docker.unavailable) {
    throw new HarnessUnavailable('container_harness_unavailable', `SIGNALBOX_TEST_HARNESS=container, but ${docker.unavailable}`, { cause: docker.cause });
  }
  if (forced === 'process') return { ...chosen, harness: 'process', why: 'SIGNALBOX_TEST_HARNESS=process' };
  if (docker.unavailable) return { ...chosen, harness: 'process', why: docker.unavailable };
  return { ...chosen, harness: 'container', why: 'testcontainers' };
}

interface PreparedImage {
  version?: string;
  image?: string;
  /** Why containers cannot run nats-server here. */
  unavailable?: string;
  cause?: unknown;
}

async function prepareImage(name: string, env: NodeJS.ProcessEnv): Promise<PreparedImage> {
  let binary: NatsBinary;
  try {
    binary = await natsBinary(name);
  } catch (cause) {
    return { unavailable: `cannot run ${name}: ${messageOf(cause)}`, cause };
  }
  try {
    await containerRuntime();
  } catch (cause) {
    const socket = '/var/run/docker.sock';
    const reason = env['DOCKER_HOST'] || existsSync(socket) ? `the Docker daemon does not answer (${messageOf(cause)})` : `no ${socket} and no DOCKER_HOST`;
    return { version: binary.version, unavailable: `no Docker: ${reason}`, cause };
  }
  try {
    await removeStaleContainers();
    return { version: binary.version, image: await natsServerImage(binary) };
  } catch (cause) {
    return { version: binary.version, unavailable: `cannot build the nats-server image: ${messageOf(cause)}`, cause };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function forcedHarness(value: string | undefined): Harness | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'process' || value === 'container') return value;
  throw new HarnessUnavailable(
    'harness_setting_invalid',
    `SIGNALBOX_TEST_HARNESS is "${value}": set it to process or container, or leave it unset to use containers when Docker is there`,
  );
}

/** Hands the choice to the workers: call before they start (vitest's global setup). */
export function handOverHarness(choice: HarnessChoice): void {
  process.env[handOverVariable] = JSON.stringify(choice);
}

/** The choice the run's global setup handed over; undefined outside such a run (a benchmark). */
export function handedOverHarness(): HarnessChoice | undefined {
  const value = process.env[handOverVariable];
  return value ? (JSON.parse(value) as HarnessChoice) : undefined;
}

let current: Promise<HarnessChoice> | undefined;

/** This process's harness: the one handed over, or chosen here once when none was. */
export function currentHarness(): Promise<HarnessChoice> {
  const handedOver = handedOverHarness();
  current ??= handedOver ? Promise.resolve(handedOver) : chooseHarness();
  return current;
}
