import { checkJson, maxSchemaBytes, maxSchemaDepth, schemaBoundsProblem } from '@signalbox/events';
import { mapToolNames } from './mcp-tool-names.ts';

/** A tool as an MCP server lists it (`tools/list`), the parts Signalbox uses. */
export interface ListedMcpTool {
  name: string;
  description?: string | undefined;
  inputSchema: unknown;
  annotations?: { readOnlyHint?: boolean | undefined; idempotentHint?: boolean | undefined } | undefined;
}

/** One MCP tool as Signalbox offers it. */
export interface McpToolPlan {
  /** `mcp.<server>.<tool>`. */
  name: string;
  /** The server's own name for it: what a call sends. */
  mcpName: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** Only when the server says the tool only reads, or is idempotent: otherwise a call cut off mid-run has an unknown outcome. */
  idempotent: boolean;
}

/** Tools one server may offer: more is a hostile or broken server, and each is model context in every session that lists it. */
export const maxToolsPerServer = 128;
/** Characters of a tool's description shown to the model; the rest is cut. */
export const maxDescriptionChars = 4096;

/** The tools a server's listing offers, and those refused, each with the reason (for the log and for doctor). */
export function planMcpTools(server: string, listed: readonly ListedMcpTool[]): { tools: McpToolPlan[]; refused: { tool: string; reason: string }[] } {
  const kept = listed.slice(0, maxToolsPerServer);
  const refused: { tool: string; reason: string }[] = [];
  const names = mapToolNames(server, kept.map((tool) => tool.name));
  const tools: McpToolPlan[] = [];
  for (const tool of kept) {
    const mapped = names.get(tool.name) ?? { refused: 'it has no name' };
    const problem = 'refused' in mapped ? mapped.refused : schemaProblem(tool.inputSchema);
    if ('refused' in mapped || problem !== undefined) {
      refused.push({ tool: tool.name, reason: problem ?? 'it has no name' });
      continue;
    }
    tools.push({
      name: mapped.name,
      mcpName: tool.name,
      description: (tool.description ?? '').slice(0, maxDescriptionChars),
      inputSchema: withoutPatterns(tool.inputSchema as Record<string, unknown>),
      idempotent: tool.annotations?.idempotentHint === true || tool.annotations?.readOnlyHint === true,
    });
  }
  for (const tool of listed.slice(maxToolsPerServer)) refused.push({ tool: tool.name, reason: `the server offers more than ${maxToolsPerServer} tools` });
  return { tools, refused };
}

/** Why an input schema cannot be shown to a model and checked, or undefined. */
function schemaProblem(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'its input schema is not a JSON object';
  const bounds = schemaBoundsProblem(schema);
  if (bounds === 'too_deep') return `its input schema nests more than ${maxSchemaDepth} levels deep`;
  if (bounds === 'too_big') return `its input schema is larger than ${maxSchemaBytes} bytes as JSON`;
  if ((schema as { type?: unknown }).type !== 'object') return 'its input schema is not of type "object"';
  const bytes = Buffer.byteLength(JSON.stringify(schema), 'utf8');
  if (bytes > maxSchemaBytes) return `its input schema is ${bytes} bytes as JSON, more than ${maxSchemaBytes}`;
  if (hasKeyword(schema, 'patternProperties')) return 'its input schema uses "patternProperties", which is not run (a backtracking regular expression could hang the check)';
  const probe = checkJson(withoutPatterns(schema as Record<string, unknown>), {});
  if ('problem' in probe) return `its input schema cannot be checked (${probe.problem})`;
  return undefined;
}

/**
 * The schema without its string `pattern`s: the check would run them as backtracking regular
 * expressions on what the model writes, so they are neither checked here nor shown (the model is
 * shown what is checked); the server still applies them. Only called on a schema within the bounds.
 */
function withoutPatterns(schema: Record<string, unknown>): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(strip);
    return Object.fromEntries(Object.entries(value).filter(([key, child]) => !(key === 'pattern' && typeof child === 'string')).map(([key, child]) => [key, strip(child)]));
  };
  return strip(schema) as Record<string, unknown>;
}

/** Whether some object in the schema (within the bounds) has the keyword as a key of its own. */
function hasKeyword(schema: unknown, keyword: string): boolean {
  if (schema === null || typeof schema !== 'object') return false;
  if (!Array.isArray(schema) && Object.hasOwn(schema, keyword)) return true;
  return Object.values(schema).some((child) => hasKeyword(child, keyword));
}
