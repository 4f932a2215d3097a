import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryWorkspace } from './memory-workspace.ts';
import { materialise, scanScratch, ScratchLimitError } from './scratch-files.ts';

const utf8 = new TextEncoder();
const limits = { maxFiles: 10, maxTotalBytes: 1_000 };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scratch-test-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('materialise', () => {
  it('copies each file with the revision and sha256 it was read at', async () => {
    const workspace = memoryWorkspace();
    await workspace.write('a/b/c.txt', utf8.encode('deep'));
    await workspace.write('top.txt', utf8.encode('top'));
    const { files, skipped } = await materialise(workspace, dir, limits);
    expect(await readFile(join(dir, 'a/b/c.txt'), 'utf8')).toBe('deep');
    expect(files.get('top.txt')).toEqual({ revision: 2, sha256: createHash('sha256').update('top').digest('hex') });
    expect(skipped).toEqual([]);
  });

  it('skips a path that is a file and a directory at once, and one no workspace path may be', async () => {
    const workspace = memoryWorkspace();
    await workspace.write('a', utf8.encode('file'));
    await workspace.write('a/b', utf8.encode('under the file'));
    await workspace.write('../escape', utf8.encode('never'));
    const { files, skipped } = await materialise(workspace, dir, limits);
    expect([...files.keys()]).toEqual(['a']);
    expect(skipped).toEqual(['../escape', 'a/b']);
    expect(await readFile(join(dir, '..', 'escape'), 'utf8').catch(() => 'absent')).toBe('absent');
  });

  it('refuses a workspace past its limits before copying anything', async () => {
    const workspace = memoryWorkspace();
    await workspace.write('big', new Uint8Array(1_001));
    await expect(materialise(workspace, dir, limits)).rejects.toThrow(ScratchLimitError);
  });
});

describe('scanScratch', () => {
  it('hashes regular files and refuses links, fifos and over-long paths without following them', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'file.txt'), 'x');
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await symlink('/etc', join(dir, 'etc'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const entries = await scanScratch(dir, limits);
    expect(entries.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual([
      { kind: 'refused', path: 'etc', why: 'a symbolic link, not a regular file' },
      { kind: 'refused', path: 'passwd', why: 'a symbolic link, not a regular file' },
      { kind: 'refused', path: 'pipe', why: 'a fifo, not a regular file' },
      { kind: 'file', path: 'sub/file.txt', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string, size: 1 },
    ]);
  });

  it('stops past the limits: more files, or more bytes, than a call writes back', async () => {
    for (let i = 0; i < 11; i++) await writeFile(join(dir, `f${i}`), '');
    await expect(scanScratch(dir, limits)).rejects.toThrow(/more than 10 files/);
    await rm(dir, { recursive: true });
    await mkdir(dir);
    await writeFile(join(dir, 'big'), new Uint8Array(1_001));
    await expect(scanScratch(dir, limits)).rejects.toThrow(/more than 1000 bytes/);
  });
});
