import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema, ErrorCode, ListToolsResultSchema, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerStatus } from '@signalbox/events';
import { secretsOfServer, type Logger, type McpServerConfig } from '@signalbox/runtime';
import { maskSecrets } from '@signalbox/store';
import { resolveValue } from '../core/mcp-config.ts';
import type { McpCallResult } from '../core/mcp-results.ts';
import { cappedFetch, oversizeMessage, OversizeResponseError } from './capped-fetch.ts';
import { maxToolsPerServer, planMcpTools, type ListedMcpTool, type McpToolPlan } from '../core/mcp-tool-plan.ts';

/** A call to a server that is not connected: it fails at once, saying why, rather than wait. */
export class McpServerUnavailableError extends Error {
  override readonly name = 'McpServerUnavailableError';
  readonly code = 'mcp_server_unavailable';
}

export interface McpConnectionDeps {
  /** Opens a vault secret the server's environment or headers name, with this executor's own key. */
  openSecret?: (name: string) => Promise<string>;
  logger: Logger;
  now(): number;
  /** Told of every listing of the server's tools and every change of its status. */
  onChange(status: McpServerStatus, tools: readonly McpToolPlan[]): void;
  /** First wait before a restart, doubled after each failure up to `maxBackoffMs`. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long connecting and listing tools may take. */
  connectTimeoutMs?: number;
}

/** Pages of `tools/list` read at most: past `maxToolsPerServer` tools the rest is refused anyway. */
const maxListPages = 16;
/** Largest message read from a server: over stdio a bigger one closes the connection (and restarts it); over HTTP it fails its request. */
const maxMessageBytes = 8 * 1024 * 1024;

/**
 * One MCP server, kept connected: started (a process over stdio, or a session over Streamable HTTP),
 * its tools listed (again when it says they changed), and restarted with backoff when it dies. A call
 * while it is not connected fails at once with the reason.
 */
export class McpConnection {
  readonly #config: McpServerConfig;
  readonly #deps: McpConnectionDeps;
  #client: Client | undefined;
  #secrets = new Map<string, string>();
  /** Moves on at every connect and loss, so events of an earlier client are ignored. */
  #generation = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastStderr = '';
  #status: McpServerStatus;
  #tools: readonly McpToolPlan[] = [];

  constructor(config: McpServerConfig, deps: McpConnectionDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#status = { server: config.name, transport: 'command' in config ? 'stdio' : 'http', status: 'connecting', tools: [], refused: [], restarts: 0, at: deps.now() };
  }

  get status(): McpServerStatus {
    return this.#status;
  }

  /** Connects once; on failure a restart is scheduled, and this resolves all the same. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#generation += 1;
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
    this.#update({ status: 'stopped' });
  }

  /** Calls a tool by the server's own name; fails at once when the server is not connected. */
  async call(tool: string, input: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<McpCallResult> {
    const client = this.#client;
    if (client === undefined || this.#status.status !== 'connected') throw new McpServerUnavailableError(this.#unavailable());
    const generation = this.#generation;
    try {
      return await client.request({ method: 'tools/call', params: { name: tool, arguments: input } }, CallToolResultSchema, options);
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : error;
      const why = this.#masked(messageOf(error));
      if (!isConnectionLost(error)) throw new Error(`the MCP server ${this.#config.name} answered ${tool} with an error: ${why}`, { cause: error });
      this.#lost(generation, `a call found it gone (${why})`);
      throw new McpServerUnavailableError(this.#unavailable(), { cause: error });
    }
  }

  /** Pings a connected server; one that does not answer is restarted. */
  async check(timeoutMs: number): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.#status.status !== 'connected') return;
    const generation = this.#generation;
    try {
      await client.ping({ timeout: timeoutMs });
    } catch (error) {
      this.#lost(generation, `it did not answer a ping (${this.#masked(messageOf(error))})`);
    }
  }

  #unavailable(): string {
    const { status, lastError } = this.#status;
    if (status === 'stopped') return `the MCP server ${this.#config.name} has been stopped`;
    // Connecting again after a loss is still the restart the caller should hear about.
    if (lastError !== undefined) return `the MCP server ${this.#config.name} is restarting after ${lastError}; try again shortly`;
    return `the MCP server ${this.#config.name} is still connecting; try again shortly`;
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#lastStderr = '';
    this.#update({ status: 'connecting' });
    try {
      this.#secrets = await this.#openSecrets();
      // Stopped while the vault answered: start nothing that stop() could no longer reach.
      if (generation !== this.#generation) return;
      const client = new Client({ name: 'signalbox', version: '1' }, { capabilities: {} });
      this.#client = client;
      // While connecting, the failed step itself says why (the close follows it).
      client.onclose = () => {
        if (this.#status.status === 'connected') this.#lost(generation, this.#closedReason());
      };
      client.onerror = (error) => {
        this.#deps.logger.debug({ server: this.#config.name, error: this.#masked(messageOf(error)) }, 'MCP transport error');
        // The SDK only reports a stream it gave up on; the call waiting on it would wait out its timeout.
        if (isOversize(error)) this.#lost(generation, 'it sent a response larger than the executor reads');
      };
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        this.#listTools(client, generation).catch((error: unknown) => this.#lost(generation, `listing its changed tools failed (${this.#masked(messageOf(error))})`));
      });
      const timeout = this.#deps.connectTimeoutMs ?? 10_000;
      await client.connect(this.#transport(), { timeout });
      await this.#listTools(client, generation);
      if (generation !== this.#generation) return;
      this.#failures = 0;
      this.#update({ status: 'connected' });
      this.#deps.logger.info({ server: this.#config.name, tools: this.#tools.length }, 'MCP server connected');
    } catch (error) {
      this.#lost(generation, `it could not be started (${this.#masked(messageOf(error))})${this.#lastWords()}`);
    }
  }

  async #listTools(client: Client, generation: number): Promise<void> {
    const listed: ListedMcpTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxListPages && listed.length <= maxToolsPerServer; page += 1) {
      const result = await client.request({ method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, ListToolsResultSchema, { timeout: this.#deps.connectTimeoutMs ?? 10_000 });
      listed.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    if (generation !== this.#generation) return;
    const plan = planMcpTools(this.#config.name, listed);
    for (const { tool, reason } of plan.refused) this.#deps.logger.warn({ server: this.#config.name, mcpTool: tool.slice(0, 200), reason: reason.slice(0, 500) }, 'MCP tool not offered');
    this.#tools = plan.tools;
    this.#update({ tools: plan.tools.map((tool) => tool.name), refused: plan.refused.slice(0, 20).map(({ tool, reason }) => ({ tool: tool.slice(0, 200), reason: reason.slice(0, 500) })) });
  }

  #lost(generation: number, reason: string): void {
    if (this.#stopped || generation !== this.#generation) return;
    this.#generation += 1;
    const client = this.#client;
    this.#client = undefined;
    client?.close().catch(() => undefined);
    const delay = Math.min(this.#deps.maxBackoffMs ?? 30_000, (this.#deps.firstBackoffMs ?? 250) * 2 ** this.#failures);
    this.#failures += 1;
    this.#deps.logger.warn({ server: this.#config.name, reason, retryInMs: delay }, 'MCP server lost; restarting it');
    this.#update({ status: 'restarting', lastError: reason, restarts: this.#status.restarts + 1 });
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  #closedReason(): string {
    return 'command' in this.#config ? `its process ended${this.#lastWords()}` : 'its connection closed';
  }

  #lastWords(): string {
    return this.#lastStderr ? `; its last line on stderr: "${this.#lastStderr}"` : '';
  }

  #transport(): Transport {
    const config = this.#config;
    if (!('command' in config)) {
      const headers = Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [name, resolveValue(value, this.#secrets)]));
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers }, fetch: cappedFetch(maxMessageBytes) });
    }
    // The SDK passes only a few safe variables of this process (PATH, HOME, ...) besides these.
    const env = Object.fromEntries(Object.entries(config.env).map(([name, value]) => [name, resolveValue(value, this.#secrets)]));
    const transport = new StdioClientTransport({ command: config.command, args: config.args, env, stderr: 'pipe', maxBufferSize: maxMessageBytes, ...(config.cwd ? { cwd: config.cwd } : {}) });
    this.#readStderr(transport.stderr as Readable | null);
    return transport;
  }

  /** A server's stderr is its log: read (a full pipe would stall it), masked, kept to debug level, and its last line remembered for the reason it stopped. */
  #readStderr(stderr: Readable | null): void {
    stderr?.setEncoding('utf8');
    stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        const text = this.#masked(line.trim()).slice(0, 300);
        if (text === '') continue;
        this.#lastStderr = text;
        this.#deps.logger.debug({ server: this.#config.name, stderr: text }, 'MCP server stderr');
      }
    });
  }

  async #openSecrets(): Promise<Map<string, string>> {
    const names = secretsOfServer(this.#config);
    if (names.length === 0) return new Map();
    const { openSecret } = this.#deps;
    if (openSecret === undefined) throw new Error(`it needs the secrets ${names.join(', ')}, and this executor holds no vault key (SIGNALBOX_SECRETS_KEY_FILE)`);
    return new Map(await Promise.all(names.map(async (name) => [name, await openSecret(name)] as const)));
  }

  #masked(text: string): string {
    return maskSecrets(text, this.#secrets);
  }

  #update(change: Partial<McpServerStatus>): void {
    this.#status = { ...this.#status, ...change, at: this.#deps.now() };
    if (change.status === 'connected') delete this.#status.lastError;
    this.#deps.onChange(this.#status, this.#tools);
  }
}

/** The connection, not the call, failed: the server exited, or its HTTP endpoint is gone or forgot the session. */
function isConnectionLost(error: unknown): boolean {
  if (error instanceof McpError) return error.code === (ErrorCode.ConnectionClosed as number);
  return error instanceof StreamableHTTPError || error instanceof TypeError;
}

function isOversize(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    // Over stdio the SDK's own read buffer says so (and then closes the process).
    if (cause instanceof OversizeResponseError || cause.message.includes(oversizeMessage) || cause.message.startsWith('ReadBuffer exceeded maximum size')) return true;
  }
  return false;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
