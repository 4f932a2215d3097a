import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import { AdvertisedTool, builtInTools, isBuiltInTool, McpServerStatus, mcpStatusKey, ToolDefinition, type Naming } from '@signalbox/events';

/** An agent names tools no executor has advertised: a session with it would call tools nobody runs. */
export class UnadvertisedToolsError extends Error {
  override readonly name = 'UnadvertisedToolsError';
  readonly code = 'tools_not_advertised';
  readonly tools: readonly string[];
  constructor(tools: readonly string[]) {
    super(`no tool executor advertises ${tools.map((tool) => `"${tool}"`).join(', ')}; is a tool executor with them running?`);
    this.tools = tools;
  }
}

/** An advertisement in the tools bucket that is not one: written by something other than an executor. */
export class InvalidAdvertisementError extends Error {
  override readonly name = 'InvalidAdvertisementError';
  readonly code = 'invalid_tool_advertisement';
  constructor(tool: string, cause: unknown) {
    super(`the advertisement of tool "${tool}" is not valid`, { cause });
  }
}

/** Tries at a write the bucket's stream has no leader to take yet, as just after a cluster forms. */
const leaderlessTries = 8;
const leaderlessWaitMs = 250;

/** Writes each tool's name, description and input JSON Schema to the `sbx-tools` bucket, under its name. */
export async function advertiseTools(nc: NatsConnection, names: Naming, tools: readonly AdvertisedTool[]): Promise<void> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  for (const tool of tools) await whileLeaderless(() => bucket.put(tool.name, JSON.stringify(tool)));
}

/** Takes tools' advertisements out (an MCP server no longer lists them): sessions started after cannot list them. */
export async function withdrawTools(nc: NatsConnection, names: Naming, toolNames: readonly string[]): Promise<void> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  for (const tool of toolNames) await whileLeaderless(() => bucket.delete(tool));
}

/** Writes how this executor sees one of its MCP servers, for `doctor`. */
export async function recordMcpStatus(nc: NatsConnection, names: Naming, status: McpServerStatus): Promise<void> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  await whileLeaderless(() => bucket.put(mcpStatusKey(status.server), JSON.stringify(status)));
}

/** Every MCP server's last recorded status, by server name; a record that does not parse is left out. */
export async function readMcpStatuses(nc: NatsConnection, names: Naming): Promise<McpServerStatus[]> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  const statuses: McpServerStatus[] = [];
  for await (const key of await bucket.keys(mcpStatusKey('*'))) {
    const entry = await bucket.get(key);
    const parsed = entry?.operation === 'PUT' ? McpServerStatus.safeParse(jsonOrUndefined(entry.string())) : undefined;
    if (parsed?.success) statuses.push(parsed.data);
  }
  return statuses.sort((a, b) => (a.server < b.server ? -1 : 1));
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Runs `write` again while nothing answers it: a replicated bucket's stream answers no write until its
 * leader is elected (nats.js says "jetstream is not enabled" then), which takes a moment after a start.
 */
async function whileLeaderless<T>(write: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await write();
    } catch (error) {
      if (tries >= leaderlessTries || !(error instanceof Error) || error.name !== 'JetStreamNotEnabled') throw error;
      await sleep(leaderlessWaitMs);
    }
  }
}

/** The advertised definitions of `toolNames`, in that order, ready to show a model. */
export async function readToolDefinitions(nc: NatsConnection, names: Naming, toolNames: readonly string[]): Promise<ToolDefinition[]> {
  return (await readAdvertisedTools(nc, names, toolNames)).map((advertised) => ToolDefinition.parse(advertised));
}

/** The advertisements of `toolNames` (schema and whether the tool is safe to run twice), in that order; throws naming those no executor has advertised. */
export async function readAdvertisedTools(nc: NatsConnection, names: Naming, toolNames: readonly string[]): Promise<AdvertisedTool[]> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  // The runtime's own tools (`wait.time`, `wait.signal`) are advertised by no executor: the runtime serves them.
  const found = await Promise.all(toolNames.map(async (tool) => builtInTools.find((builtIn) => builtIn.name === tool) ?? (await readAdvertisement(bucket, tool))));
  const missing = toolNames.filter((_, index) => found[index] === undefined);
  if (missing.length > 0) throw new UnadvertisedToolsError(missing);
  return found.flatMap((advertised) => (advertised ? [advertised] : []));
}

/** Those of `toolNames` no executor has advertised, in that order. */
export async function unadvertisedTools(nc: NatsConnection, names: Naming, toolNames: readonly string[]): Promise<string[]> {
  const bucket = await new Kvm(nc).open(names.buckets.tools);
  const entries = await Promise.all(toolNames.map((tool) => bucket.get(tool)));
  return toolNames.filter((tool, index) => entries[index]?.operation !== 'PUT' && !isBuiltInTool(tool));
}

async function readAdvertisement(bucket: KV, tool: string): Promise<AdvertisedTool | undefined> {
  const entry = await bucket.get(tool);
  if (!entry || entry.operation !== 'PUT') return undefined;
  try {
    return AdvertisedTool.parse(entry.json());
  } catch (error) {
    throw new InvalidAdvertisementError(tool, error);
  }
}
