import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** The nats-server binary both harnesses run: as a process, or copied into a locally built image. */
export interface NatsBinary {
  /** Absolute path. */
  path: string;
  version: string;
  /** Of the file's bytes: the image tag names it, so a changed binary gets a new image. */
  sha256: string;
}

/** Resolves `name` (a path, or a command on PATH) and reads its version and hash. */
export async function natsBinary(name: string): Promise<NatsBinary> {
  const path = name.includes('/') ? resolve(name) : await onPath(name);
  const { stdout } = await promisify(execFile)(path, ['--version'], { timeout: 10_000 });
  const version = /v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
  if (!version) throw new Error(`${path} --version printed no version: ${stdout.trim()}`);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return { path, version, sha256 };
}

async function onPath(name: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new Error(`no ${name} on PATH. Run scripts/nats-server.sh, which fetches a current one into .tooling/, or set NATS_SERVER_BIN.`);
}
