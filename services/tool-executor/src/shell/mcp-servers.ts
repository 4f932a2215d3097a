import type { McpServerStatus } from '@signalbox/events';
import { secretsOfServer, type Logger, type McpServerConfig } from '@signalbox/runtime';
import { mcpResultText } from '../core/mcp-results.ts';
import type { McpToolPlan } from '../core/mcp-tool-plan.ts';
import { McpConnection } from './mcp-connection.ts';
import { jsonSchemaInput } from './mcp-input.ts';
import type { ToolSpec } from './tool.ts';

export interface McpServersDeps {
  openSecret?: (name: string) => Promise<string>;
  logger: Logger;
  now(): number;
  /** The executor's tools by name: MCP tools are added and removed here as their servers list them. */
  catalogue: Map<string, ToolSpec>;
  /** Told of tools that are new in the catalogue, to advertise them and take their jobs. */
  offer(tools: readonly ToolSpec[]): Promise<void>;
  /** Told of tools a server no longer lists, to take their advertisements out (their workers stay, and answer "unknown tool"). */
  withdraw(tools: readonly string[]): Promise<void>;
  /** Told of each server's status as it changes, and at each health check. */
  record(status: McpServerStatus): Promise<void>;
  healthIntervalMs?: number;
  firstBackoffMs?: number;
  connectTimeoutMs?: number;
}

export interface McpServers {
  statuses(): McpServerStatus[];
  stop(): Promise<void>;
}

/**
 * Connects every server (waiting for each one's first try, so a reachable server's tools are there
 * before jobs are taken), keeps their tools in the catalogue, and checks their health.
 */
export async function startMcpServers(configs: readonly McpServerConfig[], deps: McpServersDeps): Promise<McpServers> {
  const owned = new Map<string, Set<string>>();
  let offering = Promise.resolve();
  const connections = configs.map((config) => {
    const connection: McpConnection = new McpConnection(config, {
      ...deps,
      onChange: (status, plans) => {
        // Changes are applied in order, one at a time: a listing must not overtake the one before it.
        offering = offering
          .then(() => applyListing(config, connection, plans, owned, deps))
          .then(() => deps.record(status))
          .catch((error: unknown) => deps.logger.error({ err: error, server: config.name }, 'could not offer or record MCP tools'));
      },
    });
    return connection;
  });
  await Promise.all(connections.map((connection) => connection.start()));
  await offering;
  const healthIntervalMs = deps.healthIntervalMs ?? 30_000;
  const health = setInterval(() => {
    for (const connection of connections) {
      connection
        .check(Math.min(5_000, healthIntervalMs))
        .then(() => deps.record({ ...connection.status, at: deps.now() }))
        .catch((error: unknown) => deps.logger.warn({ err: error, server: connection.status.server }, 'could not record an MCP server status'));
    }
  }, healthIntervalMs);
  health.unref();
  return {
    statuses: () => connections.map((connection) => connection.status),
    stop: async () => {
      clearInterval(health);
      await Promise.all(connections.map((connection) => connection.stop()));
      await offering;
    },
  };
}

/** Puts a server's listed tools in the catalogue (new ones offered), and takes out those it no longer lists. */
async function applyListing(config: McpServerConfig, connection: McpConnection, plans: readonly McpToolPlan[], owned: Map<string, Set<string>>, deps: McpServersDeps): Promise<void> {
  const mine = owned.get(config.name) ?? new Set<string>();
  owned.set(config.name, mine);
  const listed = new Set(plans.map((plan) => plan.name));
  const gone = [...mine].filter((name) => !listed.has(name));
  for (const name of gone) {
    deps.catalogue.delete(name);
    mine.delete(name);
  }
  if (gone.length > 0) await deps.withdraw(gone);
  const added: ToolSpec[] = [];
  for (const plan of plans) {
    const taken = deps.catalogue.get(plan.name);
    if (taken !== undefined && !mine.has(plan.name)) {
      deps.logger.warn({ server: config.name, tool: plan.name }, 'MCP tool not offered: another tool of this executor has its name');
      continue;
    }
    const spec = toolSpecOf(config, connection, plan);
    if (taken === undefined) added.push(spec);
    deps.catalogue.set(plan.name, spec);
    mine.add(plan.name);
  }
  if (added.length > 0) await deps.offer(added);
}

/**
 * An MCP tool as a Signalbox tool. It needs the vault secrets its server's environment or headers
 * hold: a session may use a server that holds a secret only when its policy grants that secret.
 */
function toolSpecOf(config: McpServerConfig, connection: McpConnection, plan: McpToolPlan): ToolSpec<Record<string, unknown>> {
  return {
    name: plan.name,
    description: plan.description || `The tool ${plan.mcpName} of the MCP server ${config.name}`,
    input: jsonSchemaInput(plan.inputSchema),
    idempotent: plan.idempotent,
    timeoutMs: config.timeoutMs,
    secrets: secretsOfServer(config),
    run: async (args, { signal }) => {
      // The server's own deadline is a little later than the executor's, so the executor's clearer timeout wins.
      const result = await connection.call(plan.mcpName, args, { signal, timeoutMs: config.timeoutMs + 1_000 });
      const text = mcpResultText(result);
      if (result.isError === true) throw new Error(text || `${plan.mcpName} failed and said nothing`);
      return text;
    },
  };
}
