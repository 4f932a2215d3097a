import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deployDir } from './manifests.ts';

/** Building and running Signalbox's image in tests, with the Docker CLI. */

export const checkout = `${deployDir}../`;
const run = promisify(execFile);

/** Runs a command from the checkout; rejects with its stderr on a non-zero exit. */
export async function command(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd: checkout, env: options.env ?? process.env, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${(stderr || stdout || String(error)).slice(-4_000)}`, { cause: error });
  }
}

export const docker = (args: readonly string[], timeoutMs?: number) => command('docker', args, timeoutMs === undefined ? {} : { timeoutMs });

/** The local Node 24 base (scripts/node-base-image.sh: made once, reused while its inputs are the same). */
export async function nodeBaseImage(): Promise<string> {
  const output = await command('bash', ['scripts/node-base-image.sh']);
  const tag = output.trim().split('\n').at(-1);
  if (!tag?.startsWith('signalbox-base/node:')) throw new Error(`scripts/node-base-image.sh printed no tag: ${output}`);
  return tag;
}

/**
 * Builds the Dockerfile against `base` as `tag`. The build's host network is how its npm reaches the
 * registry here (the daemon has no bridge); layers whose inputs are unchanged come from Docker's cache.
 */
export async function buildImage(base: string, tag: string): Promise<void> {
  await docker(['build', '--quiet', '--network', 'host', '--build-arg', `NODE_IMAGE=${base}`, '--tag', tag, '.']);
}

export async function imageSize(tag: string): Promise<number> {
  return Number((await docker(['image', 'inspect', '--format', '{{.Size}}', tag])).trim());
}
