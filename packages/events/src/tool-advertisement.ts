import { z } from 'zod';
import { ToolName } from './ids.ts';

/** How a tool is advertised in the `sbx-tools` bucket, under its name: executors write it, session actors read it. */
export const AdvertisedTool = z.object({
  name: ToolName,
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  idempotent: z.boolean(),
});
export type AdvertisedTool = z.infer<typeof AdvertisedTool>;

/**
 * How a tool executor last saw one of its MCP servers, in the `sbx-tools` bucket under
 * `mcp-status.<server>` (never a tool's name, which has no "-"): what `doctor` reports. Rewritten at
 * every change and at every health check, so `at` also says whether an executor still watches it.
 */
export const McpServerStatus = z.object({
  server: z.string(),
  transport: z.enum(['stdio', 'http']),
  status: z.enum(['connecting', 'connected', 'restarting', 'stopped']),
  /** The Signalbox names of the tools it offers. */
  tools: z.array(z.string()),
  /** Tools it lists that are not offered, and why (a name no provider takes, a schema too large, ...). */
  refused: z.array(z.object({ tool: z.string(), reason: z.string() })),
  lastError: z.string().optional(),
  restarts: z.number().int().min(0),
  at: z.number(),
  /** The executor that wrote this. */
  instance: z.string().optional(),
});
export type McpServerStatus = z.infer<typeof McpServerStatus>;

/** The key of a server's status in the tools bucket. */
export function mcpStatusKey(server: string): string {
  return `mcp-status.${server}`;
}
