import { MemoryStoreDefinition } from '@signalbox/events';
import { parseDefinitionFile } from './definition-files.ts';

/** A memory store file read as definitions, or every problem with it, one line each, naming the file. */
export type MemoryStoreFile = { ok: true; stores: MemoryStoreDefinition[] } | { ok: false; problems: string[] };

/** Reads a memory store file (`memory apply -f`) as agent files are read: see `parseDefinitionFile`. */
export function parseMemoryStoreFile(file: string, text: string): MemoryStoreFile {
  const parsed = parseDefinitionFile(file, text, MemoryStoreDefinition, 'memory store');
  return parsed.ok ? { ok: true, stores: parsed.definitions } : parsed;
}
