import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** Reading deploy/ for the tests that check it without a cluster or a daemon. */

export const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** Every document of a YAML file, parsed; a file with any error or warning throws, naming it. */
export function yamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: true });
  if (!Array.isArray(documents)) return [];
  return documents.map((document) => {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${path}: ${problems.map((problem) => problem.message).join('; ')}`);
    return document.toJS() as unknown;
  });
}

/** The YAML files of a folder under deploy/, by name. */
export function yamlFilesIn(folder: string): string[] {
  return readdirSync(`${deployDir}${folder}`)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
}

/** Each NATS user users.conf defines, with the environment variable its password comes from. */
export function natsUsers(): Map<string, string> {
  const text = readFileSync(`${deployDir}nats/users.conf`, 'utf8');
  return new Map([...text.matchAll(/user: ([a-z-]+),?\s+password: \$([A-Z_]+)/g)].map((match) => [match[1] ?? '', match[2] ?? '']));
}
