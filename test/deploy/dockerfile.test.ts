import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployDir } from './manifests.ts';

/** The Dockerfile checked without Docker: what changes with the workspace must change with it. */
const root = `${deployDir}../`;
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

/** Every workspace package's folder, as pnpm-workspace.yaml lists them (`packages/*`, `services/*`, and one more). */
function workspacePackages(): string[] {
  const inFolder = (folder: string) => readdirSync(`${root}${folder}`).map((name) => `${folder}/${name}`).filter((path) => existsSync(`${root}${path}/package.json`));
  return [...inFolder('packages'), ...inFolder('services'), 'services/gateway/console'].sort();
}

describe('the Dockerfile', () => {
  it("copies every workspace package's manifest before installing, so the lockfile installs whole", () => {
    const copied = [...dockerfile.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((match) => match[1]).sort();
    expect(copied).toEqual(workspacePackages());
  });

  it("pins the pnpm the checkout's packageManager names", () => {
    const { packageManager } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { packageManager: string };
    expect(dockerfile).toContain(`npm install --global --no-audit --no-fund --loglevel=error ${packageManager}`);
  });

  it('installs what the code imports: every package declares the packages its non-test code imports', () => {
    // The image installs each package's own dependencies alone; the root's development dependencies,
    // which a checkout resolves anything from, are not there.
    const undeclared = workspacePackages()
      .filter((folder) => folder !== 'services/gateway/console')
      .flatMap((folder) => {
        const manifest = JSON.parse(readFileSync(`${root}${folder}/package.json`, 'utf8')) as { name: string; dependencies?: Record<string, string> };
        const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
        return sourceFiles(`${root}${folder}/src`).flatMap((file) => importedPackages(readFileSync(file, 'utf8')).filter((name) => !declared.has(name)).map((name) => `${folder}: ${name}`));
      });
    expect([...new Set(undeclared)]).toEqual([]);
  });

  it('runs as a user that is not root, the CLI as its entrypoint', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/packages\/cli\/src\/main\.ts"\]$/m);
  });
});

/** A folder's TypeScript that ships: not tests, fixtures or the given/when/then helpers tests use. */
function sourceFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !/(\.test|\.fixtures)\.ts$|(^|\/)spec\.ts$/.test(path) && !path.includes('node_modules'))
    .map((path) => join(folder, path));
}

/** The packages a file imports at run time (type-only imports are erased). */
function importedPackages(source: string): string[] {
  const specifiers = [...source.matchAll(/^(?:import|export)(?! type)[^;]*?from '([^.'][^']*)'/gm)].map((match) => match[1] ?? '');
  return specifiers
    .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
}
