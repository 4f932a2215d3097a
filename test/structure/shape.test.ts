import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceNames } from '../../packages/cli/src/service-names.ts';
import { packageShapeProblems, serviceShapeProblems } from './shape.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const template = join(root, 'templates/service');

function foldersIn(parent: string): string[] {
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${parent}/${entry.name}`);
}

describe('the layout', () => {
  it.each(foldersIn('services'))('%s has the service template’s shape', (folder) => {
    expect(serviceShapeProblems(join(root, folder))).toEqual([]);
  });

  it.each(foldersIn('packages'))('%s has a README with the outline', (folder) => {
    expect(packageShapeProblems(join(root, folder))).toEqual([]);
  });

  it('every service is in the one registry `up` and `run` read, and the README says how to run each', () => {
    const services = foldersIn('services').map((folder) => folder.slice('services/'.length));
    expect([...serviceNames].sort()).toEqual(services.sort());
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const service of serviceNames) expect(readme).toContain(`bin/signalbox run ${service}`);
  });

  it('the template has the shape it asks of services', () => {
    expect(serviceShapeProblems(template, '@signalbox/tool-deadline')).toEqual([]);
  });
});

describe('the shape check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'signalbox-structure-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('passes a copy of the template renamed to its folder', () => {
    const copy = join(scratch, 'services/grader');
    cpSync(template, copy, { recursive: true });
    const manifest = join(copy, 'package.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('@signalbox/tool-deadline', '@signalbox/grader'));
    expect(serviceShapeProblems(copy)).toEqual([]);
  });

  it('names what a service without the shape lacks', () => {
    const service = join(scratch, 'services/supervisor');
    mkdirSync(join(service, 'src'), { recursive: true });
    writeFileSync(join(service, 'src/index.ts'), "export { supervisorService } from './supervisor.ts';\n");
    writeFileSync(join(service, 'package.json'), JSON.stringify({ name: '@signalbox/watcher' }));
    writeFileSync(join(service, 'README.md'), '# Supervisor\n\n## Layer\n\n## What it is for\n');
    expect(serviceShapeProblems(service)).toEqual([
      'no src/core/ folder',
      'no src/shell/ folder',
      'no src/service.ts',
      'package.json names it @signalbox/watcher, not @signalbox/supervisor',
      'README.md has no "## Owns"',
      'README.md has no "## Reads"',
      'README.md has no "## Sends"',
      'README.md has no "## Settings"',
      'README.md has no "## Public API"',
      "README.md's Public API does not name supervisorService",
    ]);
  });

  it('names a README whose headings are out of order, and exports it leaves out', () => {
    const service = join(scratch, 'services/memory-consolidator');
    cpSync(template, service, { recursive: true });
    writeFileSync(join(service, 'package.json'), JSON.stringify({ name: '@signalbox/memory-consolidator' }));
    const readme = join(service, 'README.md');
    const text = readFileSync(readme, 'utf8');
    writeFileSync(readme, text.replace('## Owns', '## Reads (moved)').replace('## Reads\n', '## Owns\n').replace('## Reads (moved)', '## Reads').replace('- `ToolDeadlineOptions`\n', ''));
    expect(serviceShapeProblems(service)).toEqual([
      "README.md's headings are not in the outline's order: What it is for, Owns, Reads, Sends, Settings, Public API, Layer",
      "README.md's Public API does not name ToolDeadlineOptions",
    ]);
  });

  it('asks a package for its README', () => {
    const bare = join(scratch, 'packages/grades');
    mkdirSync(bare, { recursive: true });
    expect(packageShapeProblems(bare)).toEqual(['no README.md']);
  });
});
