import { Policy } from '@signalbox/events';
import { parseDefinitionFile } from './definition-files.ts';

/** A policy file read as policies, or every problem with it, one line each, naming the file. */
export type PolicyFile = { ok: true; policies: Policy[] } | { ok: false; problems: string[] };

/**
 * Reads a policy file (`policies apply -f`) as agent files are read: see `parseDefinitionFile`. A
 * `version` in it is taken and then dropped by `applyPolicy`, so what `policies show` printed can be
 * edited and applied again.
 */
export function parsePolicyFile(file: string, text: string): PolicyFile {
  const parsed = parseDefinitionFile(file, text, Policy, 'policy');
  return parsed.ok ? { ok: true, policies: parsed.definitions } : parsed;
}
