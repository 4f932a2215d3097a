import { realpath, readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/** What a path of the console answers: a file, the app's page (a client-side route), or nothing. */
export type ConsoleFile = { kind: 'file'; body: Buffer; type: string } | { kind: 'not built' } | { kind: 'not found' };

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file of the console's build at URL path `urlPath` (still percent-encoded), never one outside
 * `root`: the decoded path is resolved under the root, and the file's real path (symlinks followed)
 * must be under the root's. A path that names no file is a client-side route, answered with
 * index.html, except under /assets/, where a missing file is a missing file.
 */
export async function consoleFile(root: string, urlPath: string): Promise<ConsoleFile> {
  const realRoot = await realpath(root).catch(() => undefined);
  if (realRoot === undefined) return { kind: 'not built' };
  const decoded = decodedPath(urlPath);
  if (decoded === undefined) return { kind: 'not found' };
  const wanted = resolve(realRoot, `.${decoded}`);
  if (wanted !== realRoot && !wanted.startsWith(realRoot + sep)) return { kind: 'not found' };
  const found = await fileUnder(realRoot, wanted);
  if (found) return found;
  if (decoded.startsWith('/assets/')) return { kind: 'not found' };
  return (await fileUnder(realRoot, resolve(realRoot, 'index.html'))) ?? { kind: 'not built' };
}

function decodedPath(urlPath: string): string | undefined {
  try {
    const decoded = decodeURIComponent(urlPath);
    return decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

async function fileUnder(realRoot: string, path: string): Promise<ConsoleFile | undefined> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined || !real.startsWith(realRoot + sep)) return undefined;
  if (!(await stat(real)).isFile()) return undefined;
  return { kind: 'file', body: await readFile(real), type: types[extname(real).toLowerCase()] ?? 'application/octet-stream' };
}
