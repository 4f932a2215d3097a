import { readFile } from 'node:fs/promises';
import { SecretName } from '@signalbox/events';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** An MCP server's name: the `<server>` of its tools' names `mcp.<server>.<tool>`. */
export const McpServerName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'an MCP server name is a lower-case word of up to 32 letters, digits and "_", starting with a letter');

/**
 * A value for the server's environment or a header: plain text, or a vault secret, alone or in a
 * template (`Bearer {secret}`). The executor opens it with its own vault key when it starts the server.
 */
export const McpValue = z.union([
  z.string().max(4096),
  z.strictObject({
    secret: SecretName,
    template: z.string().max(4096).refine((text) => text.includes('{secret}'), 'a template holds "{secret}" where the value goes').optional(),
  }),
]);
export type McpValue = z.infer<typeof McpValue>;

const common = {
  name: McpServerName,
  /** How long one call may take before it fails (and is cancelled at the server). */
  timeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
};

const StdioServer = z.strictObject({
  ...common,
  command: z.string().min(1).max(1024),
  args: z.array(z.string().max(4096)).max(256).default([]),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), McpValue).default({}),
  cwd: z.string().min(1).optional(),
});

const HttpServer = z.strictObject({
  ...common,
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), McpValue).default({}),
});

/** One MCP server: a command run on this host over stdio, or a Streamable HTTP endpoint. */
export const McpServerConfig = z.union([StdioServer, HttpServer]);
export type McpServerConfig = z.infer<typeof McpServerConfig>;
/** A server as written in the file or passed to the executor, before defaults are filled in. */
export type McpServerOptions = z.input<typeof McpServerConfig>;

/** The installation's MCP servers file (`SIGNALBOX_MCP_SERVERS`, YAML or JSON). */
export const McpServersFile = z.strictObject({
  servers: z
    .array(McpServerConfig)
    .max(64)
    .refine((servers) => new Set(servers.map((server) => server.name)).size === servers.length, 'each server needs a name of its own'),
});
export type McpServersFile = z.infer<typeof McpServersFile>;

/** The vault secrets a server's environment or headers name, each once, sorted: what each of its calls must be granted. */
export function secretsOfServer(server: McpServerConfig): string[] {
  const values = Object.values('command' in server ? server.env : server.headers);
  return [...new Set(values.flatMap((value) => (typeof value === 'string' ? [] : [value.secret])))].sort();
}

/** The installation's MCP servers file that cannot be used: unreadable, not YAML or JSON, or not the expected shape. */
export class McpServersFileError extends Error {
  override readonly name = 'McpServersFileError';
  readonly code = 'invalid_mcp_servers_file';
}

/** Reads and checks the servers file (`SIGNALBOX_MCP_SERVERS`): YAML, of which JSON is a part. */
export async function readMcpServersFile(path: string): Promise<McpServerConfig[]> {
  let data: unknown;
  try {
    data = parseYaml(await readFile(path, 'utf8'), { maxAliasCount: 100 });
  } catch (error) {
    throw new McpServersFileError(`the MCP servers file ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = McpServersFile.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ');
    throw new McpServersFileError(`the MCP servers file ${path} is not valid: ${issues}`);
  }
  return parsed.data.servers;
}
