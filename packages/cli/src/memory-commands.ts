import { readFile } from 'node:fs/promises';
import { MemoryStore, diffVersions } from '@signalbox/store';
import type { MemoryVersion } from '@signalbox/events';
import { withClient, type GlobalOptions } from './connection.ts';
import { wholeNumberFlag } from './flags.ts';
import { parseMemoryStoreFile } from './memory-files.ts';
import { diffLines, storeLines, versionLines, versionSummary, versionTable, type StoreSummary } from './memory-texts.ts';
import { defaultRequester } from './pause-commands.ts';
import type { SetUpNeed } from './set-up.ts';

export interface ActorFlags {
  as?: string;
}

/** Runs `work` with the memory stores of the NATS the options name, closing the connection after. */
export function withMemory<T>(options: GlobalOptions, work: (memory: MemoryStore) => Promise<T>, need: SetUpNeed = 'must-exist'): Promise<T> {
  return withClient(options, async (client) => work(await MemoryStore.open(client.nc, client.names)), need);
}

/** `memory apply -f`: a file with any problem is refused whole, one line a problem on stderr (exit 1). */
export async function applyMemoryStores(options: GlobalOptions, file: string): Promise<void> {
  const parsed = parseMemoryStoreFile(file, await readFile(file, 'utf8'));
  if (!parsed.ok) {
    for (const problem of parsed.problems) console.error(problem);
    process.exitCode = 1;
    return;
  }
  await withMemory(options, async (memory) => {
    for (const store of parsed.stores) {
      await memory.define(store);
      console.log(options.json ? JSON.stringify(store) : `applied memory store ${store.name} (${store.promotion} promotion; agents ${store.agents.join(', ')})`);
    }
  }, 'create-if-missing');
}

/** `memory list`: every store with its head; `memory list <store>`: its versions side by side. */
export async function listMemory(options: GlobalOptions, store: string | undefined): Promise<void> {
  await withMemory(options, async (memory) => {
    if (store === undefined) return printStores(options, await storeSummaries(memory));
    const head = (await memory.head(store))?.version;
    const versions = await memory.versions(store);
    if (versions.length === 0 && !(await memory.definition(store))) throw unknownStore(store);
    print(options, versions.map((version) => versionSummary(version, head)), versionTable(versions, head));
  });
}

async function storeSummaries(memory: MemoryStore): Promise<StoreSummary[]> {
  return Promise.all(
    (await memory.definitions()).map(async (definition) => ({
      definition,
      head: await memory.head(definition.name),
      waiting: (await memory.versions(definition.name)).filter(({ state }) => state === 'proposed').length,
    })),
  );
}

function printStores(options: GlobalOptions, stores: StoreSummary[]): void {
  const data = stores.map(({ definition, head, waiting }) => ({ ...definition, head: head?.version ?? 0, entries: head?.entries.length ?? 0, waiting }));
  print(options, data, storeLines(stores));
}

/** `memory show <store> [<version>]`: a version's entries with their provenance (the head unless named). */
export async function showMemory(options: GlobalOptions, store: string, versionText: string | undefined): Promise<void> {
  await withMemory(options, async (memory) => {
    const head = await memory.head(store);
    const version = versionText === undefined ? head : await requiredVersion(memory, store, versionText);
    if (!version) {
      if (!(await memory.definition(store))) throw unknownStore(store);
      return print(options, null, [`memory store ${store} is empty: no version has been promoted`]);
    }
    print(options, version, versionLines(version, head?.version));
  });
}

/** `memory diff <store> <a> [<b>]`: entries added and removed from version a to b (the head unless named; 0 is the empty store). */
export async function diffMemory(options: GlobalOptions, store: string, aText: string, bText: string | undefined): Promise<void> {
  await withMemory(options, async (memory) => {
    const a = wholeNumberFlag('<a>', aText, 0) === 0 ? undefined : await requiredVersion(memory, store, aText);
    const b = bText === undefined ? await memory.head(store) : await requiredVersion(memory, store, bText);
    if (!b) throw new Error(`memory store ${store} has no head to compare with: name the second version`);
    const diff = diffVersions(a, b);
    print(options, { store, from: a?.version ?? 0, to: b.version, ...diff }, diffLines(a?.version ?? 0, b.version, diff));
  });
}

/** `memory promote <store> <version>`: a proposed version becomes the head, with who did it. */
export async function promoteMemory(options: GlobalOptions, store: string, versionText: string, flags: ActorFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  const version = wholeNumberFlag('<version>', versionText);
  await withMemory(options, async (memory) => {
    const proposedOnto = (await memory.version(store, version))?.parent;
    const promoted = await memory.promote(store, version, by, Date.now());
    const rebased = promoted.parent === proposedOnto ? '' : ` (the head had moved: its changes were applied onto version ${promoted.parent})`;
    report(options, promoted, `promoted version ${version} of memory store ${store} (as ${by})${rebased}: agents load it from their next session`);
  });
}

/** `memory reject <store> <version>`: a proposed version is kept, rejected, and never loaded. */
export async function rejectMemory(options: GlobalOptions, store: string, versionText: string, flags: ActorFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  const version = wholeNumberFlag('<version>', versionText);
  await withMemory(options, async (memory) => {
    report(options, await memory.reject(store, version, by, Date.now()), `rejected version ${version} of memory store ${store} (as ${by})`);
  });
}

/** `memory rollback <store> <version>`: a new version holding that one's entries (0: none), the head at once. */
export async function rollbackMemory(options: GlobalOptions, store: string, versionText: string, flags: ActorFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  const to = wholeNumberFlag('<version>', versionText, 0);
  await withMemory(options, async (memory) => {
    const version = await memory.rollback(store, to, by, Date.now());
    report(options, version, `rolled memory store ${store} back to version ${to} as version ${version.version} (as ${by}): ${version.entries.length} entries`);
  });
}

async function requiredVersion(memory: MemoryStore, store: string, text: string): Promise<MemoryVersion> {
  const number = wholeNumberFlag('a version', text);
  const version = await memory.version(store, number);
  if (!version) throw new Error(`memory store ${store} has no version ${number}; \`signalbox memory list ${store}\` lists them`);
  return version;
}

function unknownStore(store: string): Error {
  return new Error(`no memory store ${store}; \`signalbox memory list\` lists them`);
}

function report(options: GlobalOptions, version: MemoryVersion, text: string): void {
  console.log(options.json ? JSON.stringify(versionSummary(version, version.state === 'promoted' ? version.version : undefined)) : text);
}

function print(options: GlobalOptions, data: unknown, lines: readonly string[]): void {
  console.log(options.json ? JSON.stringify(data, null, 2) : lines.join('\n'));
}
