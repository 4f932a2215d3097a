import { AgentDefinition } from '@signalbox/events';
import { parseDefinitionFile } from './definition-files.ts';

/** An agent file read as definitions, or every problem with it, one line each, naming the file. */
export type AgentFile = { ok: true; agents: AgentDefinition[] } | { ok: false; problems: string[] };

/** Reads an agent file (`agents apply -f`): see `parseDefinitionFile`. */
export function parseAgentFile(file: string, text: string): AgentFile {
  const parsed = parseDefinitionFile(file, text, AgentDefinition, 'agent');
  return parsed.ok ? { ok: true, agents: parsed.definitions } : parsed;
}
