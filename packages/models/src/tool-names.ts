import type { ToolDefinition } from '@signalbox/events';
import { ModelError } from './provider.ts';

/**
 * Signalbox tool names are dotted (`workspace.read`), but Anthropic and OpenAI accept only
 * `^[a-zA-Z0-9_-]{1,64}$`. Adapters send `workspace__read` and map the model's calls back.
 */
const wirePattern = /^[a-zA-Z0-9_-]{1,64}$/;

export function encodeToolName(name: string): string {
  return name.replaceAll('.', '__');
}

export function decodeToolName(wireName: string): string {
  return wireName.replaceAll('__', '.');
}

/** Both directions for one request's tools. */
export interface ToolNameMap {
  toWire(name: string): string;
  fromWire(wireName: string): string;
}

/**
 * Decoding looks the name up among the offered tools first, so a legal name that already holds
 * `__` (`my__tool`) still round-trips; a name the model made up falls back to the plain rule.
 */
export function toolNameMap(tools: readonly ToolDefinition[]): ToolNameMap {
  const byWireName = new Map<string, string>();
  for (const { name } of tools) {
    const wireName = encodeToolName(name);
    if (!wirePattern.test(wireName)) {
      throw invalidTool(`tool "${name}" becomes "${wireName}" on the wire, which is not 1-64 letters, digits, "_" or "-"`);
    }
    const taken = byWireName.get(wireName);
    if (taken !== undefined && taken !== name) {
      throw invalidTool(`tools "${taken}" and "${name}" both become "${wireName}" on the wire; rename one`);
    }
    byWireName.set(wireName, name);
  }
  return {
    toWire: encodeToolName,
    fromWire: (wireName) => byWireName.get(wireName) ?? decodeToolName(wireName),
  };
}

function invalidTool(message: string): ModelError {
  return new ModelError('invalid_request', message, { retryable: false });
}
