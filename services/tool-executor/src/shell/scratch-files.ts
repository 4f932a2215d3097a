import { createHash } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { chown, mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Materialised, ScratchEntry } from '../core/scratch-changes.ts';
import type { SandboxLimits } from '../core/sandbox-plan.ts';
import { maxPathLength, WorkspacePath, type Workspace } from './workspace.ts';

/** More files or bytes than a shell call copies in or writes back: nothing is written back. */
export class ScratchLimitError extends Error {
  override readonly name = 'ScratchLimitError';
  readonly code = 'scratch_limit';
}

/** Workspace paths that could not be copied in: one is a file and a directory at once (`a` and `a/b`), or no workspace path. */
export interface Materialisation {
  files: Map<string, Materialised>;
  skipped: string[];
}

type Limits = Pick<SandboxLimits, 'maxFiles' | 'maxTotalBytes'>;

/**
 * Copies the workspace's files into `dir` (owned by `owner`, the sandbox's uid, when given), and notes
 * the revision and sha256 each was read at, to find what the command changed and to write it back only
 * if no one else changed it since.
 */
export async function materialise(workspace: Workspace, dir: string, limits: Limits, owner?: number): Promise<Materialisation> {
  const entries = await workspace.list();
  checkLimits(entries.length, entries.reduce((sum, entry) => sum + entry.size, 0), limits, 'the workspace holds');
  const files = new Map<string, Materialised>();
  const skipped: string[] = [];
  for (const { path } of entries.sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const file = WorkspacePath.safeParse(path).success ? await workspace.file(path) : undefined;
    if (file === undefined || !(await placed(dir, path, file.content, owner))) {
      skipped.push(path);
      continue;
    }
    files.set(path, { sha256: sha256(file.content), revision: file.revision });
  }
  return { files, skipped };
}

/** Writes one file below `dir`, making its directories; false when its place is taken (`a` is a file, `a/b` wanted). */
async function placed(dir: string, path: string, content: Uint8Array, owner: number | undefined): Promise<boolean> {
  const segments = path.split('/');
  let at = dir;
  try {
    for (const segment of segments.slice(0, -1)) {
      at = join(at, segment);
      if ((await mkdir(at, { mode: 0o755 }).then(() => true, notExisting)) && owner !== undefined) await chown(at, owner, owner);
    }
    const target = join(at, segments.at(-1) ?? '');
    await writeFile(target, content, { flag: 'wx', mode: 0o644 });
    if (owner !== undefined) await chown(target, owner, owner);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOTDIR') || isCode(error, 'EEXIST') || isCode(error, 'EISDIR')) return false;
    throw error;
  }
}

/** mkdir's "already there" is fine when it is a directory (checked by the next step); false: not made now. */
function notExisting(error: unknown): false {
  if (isCode(error, 'EEXIST')) return false;
  throw error;
}

/**
 * What `dir` holds after the command: each regular file with its sha256, and everything else refused
 * (symbolic links are neither followed nor read). Past the limits it throws: nothing is written back.
 */
export async function scanScratch(dir: string, limits: Limits): Promise<ScratchEntry[]> {
  const entries: ScratchEntry[] = [];
  let bytes = 0;
  const walk = async (relative: string): Promise<void> => {
    for (const dirent of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      const kind = entryKind(dirent);
      // A path too long for the workspace is refused whole: a directory nested without end is not walked.
      if (path.length > maxPathLength) entries.push({ kind: 'refused', path: `${path.slice(0, 64)}…`, why: `longer than ${maxPathLength} characters` });
      else if (kind === 'directory') await walk(path);
      else if (kind !== 'file') entries.push({ kind: 'refused', path, why: `a ${kind}, not a regular file` });
      else {
        const content = await readScratchFile(dir, path);
        bytes += content.length;
        entries.push({ kind: 'file', path, sha256: sha256(content), size: content.length });
      }
      checkLimits(entries.length, bytes, limits, 'the command left');
    }
  };
  await walk('');
  return entries;
}

/** Reads a file the scan found regular, refusing to follow a link put in its place (O_NOFOLLOW). */
export async function readScratchFile(dir: string, path: string): Promise<Buffer> {
  const handle = await open(join(dir, path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${path} is no longer a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function entryKind(dirent: Dirent): string {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (dirent.isSymbolicLink()) return 'symbolic link';
  if (dirent.isFIFO()) return 'fifo';
  if (dirent.isSocket()) return 'socket';
  return 'device';
}

function checkLimits(files: number, bytes: number, { maxFiles, maxTotalBytes }: Limits, what: string): void {
  if (files > maxFiles) throw new ScratchLimitError(`${what} more than ${maxFiles} files, the most a shell call handles`);
  if (bytes > maxTotalBytes) throw new ScratchLimitError(`${what} more than ${maxTotalBytes} bytes of files, the most a shell call handles`);
}

function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
