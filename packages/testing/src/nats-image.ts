import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GenericContainer, ImageName } from 'testcontainers';
import { containerRuntime } from './container-runtime.ts';
import type { NatsBinary } from './nats-binary.ts';

/** Where the image puts the binary; the container's entrypoint. */
const entrypoint = '/nats-server';

/**
 * The tag of a local image that runs `binary`, built on first use and kept for later runs: nothing
 * can be pulled from a registry here, so it is `FROM scratch` with the binary, the shared libraries
 * `ldd` lists and the dynamic loader, all copied from this machine.
 */
export async function natsServerImage(binary: NatsBinary): Promise<string> {
  const tag = `signalbox-test/nats-server:${binary.version}-${binary.sha256.slice(0, 12)}`;
  const runtime = await containerRuntime();
  if (await runtime.image.exists(ImageName.fromString(tag))) return tag;

  const context = await mkdtemp(join(tmpdir(), 'sbx-nats-image-'));
  try {
    const root = join(context, 'rootfs');
    await copyInto(root, binary.path, entrypoint);
    for (const library of await sharedLibraries(binary.path)) await copyInto(root, library, library);
    await writeFile(join(context, 'Dockerfile'), `FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["${entrypoint}"]\n`);
    await GenericContainer.fromDockerfile(context).build(tag, { deleteOnExit: false });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return tag;
}

/** Copies `source` (its target, when a symlink) to `target` under `root`. */
async function copyInto(root: string, source: string, target: string): Promise<void> {
  const destination = join(root, target);
  await mkdir(dirname(destination), { recursive: true });
  await copyFile(source, destination);
}

/** Absolute paths of the libraries and the loader `ldd` lists; none for a static binary. */
async function sharedLibraries(path: string): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)('ldd', [path]);
    // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`.
    return [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((match) => match[1] ?? '');
  } catch (error) {
    // Node puts ldd's stderr in the message.
    if (String(error).includes('not a dynamic executable')) return [];
    throw new Error(`ldd ${path} failed: cannot list the libraries the nats-server image needs`, { cause: error });
  }
}
