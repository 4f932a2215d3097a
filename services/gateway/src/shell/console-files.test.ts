import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFile } from './console-files.ts';

let root: string;
let dist: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sbx-console-'));
  dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'outside the build');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'assets', 'link.js'));
  symlinkSync(root, join(dist, 'up'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const text = async (path: string) => {
  const file = await consoleFile(dist, path);
  return file.kind === 'file' ? file.body.toString('utf8') : file.kind;
};

describe("the console's files", () => {
  it('serves a built file with its type', async () => {
    expect(await consoleFile(dist, '/assets/app.js')).toMatchObject({ kind: 'file', type: 'text/javascript; charset=utf-8' });
  });

  it('answers client-side routes with index.html, and a missing asset with nothing', async () => {
    expect(await text('/sessions/01ABC')).toContain('<title>console</title>');
    expect(await text('/')).toContain('<title>console</title>');
    expect(await text('/assets/missing.js')).toBe('not found');
  });

  it('never serves a file outside the build: dot-dot, encoded, absolute, backslashes, NUL', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', `/${join(root, 'secret.txt')}`, '//etc/passwd', '/..%5csecret.txt', '/index.html%00.js', '/%zz']) {
      expect(await text(path), path).not.toContain('outside the build');
    }
  });

  it('follows no symbolic link out of the build', async () => {
    expect(await text('/assets/link.js')).toBe('not found');
    expect(await text('/up/secret.txt')).not.toContain('outside the build');
  });

  it('says when the console is not built', async () => {
    expect(await consoleFile(join(root, 'nowhere'), '/')).toEqual({ kind: 'not built' });
  });
});
