import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The README outline every package follows, heading by heading, in this order. */
export const packageOutline = ['What it is for', 'Public API', 'Layer'];
/** A service's README adds what it owns, reads, sends and is set with. */
export const serviceOutline = ['What it is for', 'Owns', 'Reads', 'Sends', 'Settings', 'Public API', 'Layer'];

/** What a service folder lacks of the template's shape (`templates/service`); empty when it has it all. */
export function serviceShapeProblems(dir: string, expectedName = `@signalbox/${basename(dir)}`): string[] {
  const problems = [
    ...['src/core', 'src/shell'].filter((path) => !isDirectory(join(dir, path))).map((path) => `no ${path}/ folder`),
    ...['src/service.ts', 'src/index.ts', 'package.json'].filter((path) => !existsSync(join(dir, path))).map((path) => `no ${path}`),
  ];
  const name = packageName(dir);
  if (name !== undefined && name !== expectedName) problems.push(`package.json names it ${name}, not ${expectedName}`);
  return [...problems, ...readmeProblems(dir, serviceOutline)];
}

/** What a package folder's README lacks of the outline. */
export function packageShapeProblems(dir: string): string[] {
  return readmeProblems(dir, packageOutline);
}

/** The README's outline headings in order, and every name `src/index.ts` exports under Public API. */
function readmeProblems(dir: string, outline: readonly string[]): string[] {
  const readmePath = join(dir, 'README.md');
  if (!existsSync(readmePath)) return ['no README.md'];
  const readme = readFileSync(readmePath, 'utf8');
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]?.trim());
  const missing = outline.filter((heading) => !headings.includes(heading));
  const inOrder = headings.filter((heading) => heading !== undefined && outline.includes(heading));
  const problems = missing.map((heading) => `README.md has no "## ${heading}"`);
  if (missing.length === 0 && inOrder.join('\n') !== outline.join('\n')) problems.push(`README.md's headings are not in the outline's order: ${outline.join(', ')}`);
  const api = sectionOf(readme, 'Public API');
  const unnamed = exportsOf(dir).filter((name) => !new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(api));
  if (unnamed.length > 0) problems.push(`README.md's Public API does not name ${unnamed.join(', ')}`);
  return problems;
}

/** The names `src/index.ts` exports (`export { a, b as c } from ...` and `export type { ... }`). */
function exportsOf(dir: string): string[] {
  const indexPath = join(dir, 'src/index.ts');
  if (!existsSync(indexPath)) return [];
  const lists = [...readFileSync(indexPath, 'utf8').matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].map((match) => match[1] ?? '');
  return lists.flatMap((list) =>
    list
      .split(',')
      .map((item) => item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop() ?? '')
      .filter((name) => name !== ''),
  );
}

function sectionOf(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) return '';
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

function packageName(dir: string): string | undefined {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name;
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
