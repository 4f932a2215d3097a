import { ToolName } from '@signalbox/events';

/** The longest tool name providers take once dots become `__` (Anthropic and OpenAI: 64). */
const maxWireChars = 64;

/**
 * The Signalbox name of an MCP server's tool: `mcp.<server>.<tool>`, the tool's own name lower-cased
 * with every character other than a letter, digit or `_` made `_` (and `t_` put before one that does
 * not start with a letter), so that it is one word of a `ToolName`. The server is still called by
 * the tool's own name.
 */
export function mcpToolName(server: string, tool: string): string {
  const word = tool.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `mcp.${server}.${/^[a-z]/.test(word) ? word : `t_${word}`}`;
}

/** Why a mapped name cannot be a tool's name, or undefined when it can. */
export function toolNameProblem(name: string): string | undefined {
  if (!ToolName.safeParse(name).success) return `"${name}" is not a tool name (dot-separated lower-case words, at most 64 characters)`;
  const wireChars = name.length + (name.split('.').length - 1);
  if (wireChars > maxWireChars) return `"${name}" would be ${wireChars} characters where providers take ${maxWireChars} ("." is sent as "__")`;
  return undefined;
}

/** Each listed tool's Signalbox name, or why it has none: a name no provider takes, or one two tools map to. */
export function mapToolNames(server: string, tools: readonly string[]): Map<string, { name: string } | { refused: string }> {
  const byName = new Map<string, string[]>();
  for (const tool of new Set(tools)) {
    const name = mcpToolName(server, tool);
    byName.set(name, [...(byName.get(name) ?? []), tool]);
  }
  const mapped = new Map<string, { name: string } | { refused: string }>();
  for (const [name, originals] of byName) {
    // Refusing every tool of a collision, not all but the first, keeps the outcome independent of the server's order.
    const problem = originals.length > 1 ? `the tools ${originals.map((tool) => `"${tool}"`).join(', ')} all map to "${name}"` : toolNameProblem(name);
    for (const tool of originals) mapped.set(tool, problem === undefined ? { name } : { refused: problem });
  }
  for (const tool of tools) if (tools.indexOf(tool) !== tools.lastIndexOf(tool)) mapped.set(tool, { refused: `the server lists "${tool}" more than once` });
  return mapped;
}
