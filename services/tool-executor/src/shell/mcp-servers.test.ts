import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { McpServerStatus, ToolJob, ToolOutcome } from '@signalbox/events';
import { createLogger, type McpServerConfig } from '@signalbox/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, type ExecutionEnvironment } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { startHttpMcpServer } from './mcp-servers.fixtures.ts';
import { startMcpServers, type McpServers } from './mcp-servers.ts';
import { advertisementOf, type ToolSpec } from './tool.ts';

const fixtureScript = fileURLToPath(new URL('./mcp-servers.fixtures.ts', import.meta.url));
const token = 'fixture-token-7d1c0e55';
const apiKey = 'api-key-0b9f4e21';
const vault: Record<string, string> = { FIXTURE_TOKEN: token, API_KEY: apiKey };
const logged: string[] = [];
const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'debug', destination: { write: (line: string) => void logged.push(line) } });

const stdio = (name: string, extra: Partial<McpServerConfig> = {}, mode = 'stdio'): McpServerConfig => ({
  name,
  command: process.execPath,
  args: [fixtureScript, mode],
  env: { FIXTURE_TOKEN: { secret: 'FIXTURE_TOKEN' }, PLAIN: 'plain value' },
  timeoutMs: 5_000,
  ...extra,
});

interface Running {
  catalogue: Map<string, ToolSpec>;
  offered: string[];
  withdrawn: string[];
  servers: McpServers;
  recorded: McpServerStatus[];
}

async function start(configs: McpServerConfig[], healthIntervalMs = 60_000): Promise<Running> {
  const catalogue = new Map<string, ToolSpec>();
  const recorded: McpServerStatus[] = [];
  const offered: string[] = [];
  const withdrawn: string[] = [];
  const servers = await startMcpServers(configs, {
    openSecret: async (name) => vault[name] ?? Promise.reject(new Error(`no secret ${name}`)),
    logger,
    now: Date.now,
    catalogue,
    offer: async (tools) => void offered.push(...tools.map((tool) => tool.name)),
    withdraw: async (tools) => void withdrawn.push(...tools),
    record: async (status) => void recorded.push(status),
    firstBackoffMs: 50,
    healthIntervalMs,
  });
  return { catalogue, offered, withdrawn, servers, recorded };
}

let job = 0;
function call(running: Running, tool: string, input: unknown, environment: Partial<ExecutionEnvironment> = {}): Promise<ToolOutcome> {
  job += 1;
  const toolJob: ToolJob = { sessionId: 's', correlationId: 's', callId: `c${job}`, tool, input, idempotencyKey: `s/s/c${job}` };
  return execute(running.catalogue, toolJob, { workspace: memoryWorkspace(), outputs: memoryOutputs(), logger, now: Date.now, ...environment }).then((result) => result.outcome);
}

const granted = { grant: { secrets: ['FIXTURE_TOKEN', 'API_KEY'] }, openSecret: async (name: string) => vault[name] ?? '' };

/** Waits (polling, bounded) until the server reports `status`: restarts take a backoff and a process start. */
async function until(running: Running, server: string, status: McpServerStatus['status']): Promise<void> {
  for (let tries = 0; tries < 400; tries += 1) {
    if (running.servers.statuses().find((each) => each.server === server)?.status === status) return;
    await sleep(25);
  }
  throw new Error(`${server} never became ${status}`);
}

describe('an MCP server over stdio', () => {
  let running: Running;
  beforeAll(async () => {
    running = await start([stdio('fx')]);
  }, 30_000);
  afterAll(() => running.servers.stop());

  it('offers its tools under mapped names, with the schema the server gave and idempotence only where it says so', () => {
    expect([...running.catalogue.keys()].sort()).toEqual(['mcp.fx.big', 'mcp.fx.echo_text', 'mcp.fx.env', 'mcp.fx.exit', 'mcp.fx.fail', 'mcp.fx.grow', 'mcp.fx.picture', 'mcp.fx.slow', 'mcp.fx.whoami']);
    const echo = advertisementOf(running.catalogue.get('mcp.fx.echo_text') as ToolSpec);
    expect(echo).toMatchObject({ name: 'mcp.fx.echo_text', description: 'Says the text back', idempotent: true });
    expect(echo.inputSchema).toMatchObject({ type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] });
    expect(running.catalogue.get('mcp.fx.env')?.idempotent).toBe(false);
    expect(running.recorded.at(-1)).toMatchObject({ server: 'fx', transport: 'stdio', status: 'connected', restarts: 0 });
  });

  it('calls the server by its own name, and refuses input its schema does not allow before the server sees it', async () => {
    expect(await call(running, 'mcp.fx.echo_text', { text: 'ab', times: 2 }, granted)).toEqual({ status: 'completed', output: 'abab' });
    const refused = await call(running, 'mcp.fx.echo_text', { text: '', times: 9, extra: 1 }, granted);
    expect(refused).toMatchObject({ status: 'failed' });
    expect(refused.status === 'failed' && refused.error).toMatch(/^invalid input for mcp\.fx\.echo_text: #\/text: .*#\/times: /);
  });

  it('starts the server with its vault secrets, which reach no output or log line, and only for calls granted them', async () => {
    expect(await call(running, 'mcp.fx.env', { name: 'FIXTURE_TOKEN' }, granted)).toEqual({ status: 'completed', output: 'FIXTURE_TOKEN=[secret:FIXTURE_TOKEN]' });
    expect(await call(running, 'mcp.fx.env', { name: 'PLAIN' }, granted)).toEqual({ status: 'completed', output: 'PLAIN=plain value' });
    // The host's own environment is not passed on.
    expect(await call(running, 'mcp.fx.env', { name: 'NATS_SERVER_BIN' }, granted)).toEqual({ status: 'completed', output: 'NATS_SERVER_BIN=(unset)' });
    expect(await call(running, 'mcp.fx.env', { name: 'FIXTURE_TOKEN' }, { grant: { secrets: [] }, openSecret: granted.openSecret })).toEqual({
      status: 'failed',
      error: "mcp.fx.env needs the secret FIXTURE_TOKEN: the call's policy does not grant it",
    });
    expect(logged.join('\n')).not.toContain(token);
  });

  it('offers the tools a server adds while it runs, once it says its list changed', async () => {
    expect(await call(running, 'mcp.fx.grow', {}, granted)).toEqual({ status: 'completed', output: 'grew' });
    for (let tries = 0; tries < 200 && !running.catalogue.has('mcp.fx.grown_tool'); tries += 1) await sleep(25);
    expect(running.offered).toContain('mcp.fx.grown_tool');
    expect(await call(running, 'mcp.fx.grown_tool', {}, granted)).toEqual({ status: 'completed', output: 'grown' });
  });

  it('maps error results, images and resources, and cuts a huge output', async () => {
    expect(await call(running, 'mcp.fx.fail', {}, granted)).toEqual({ status: 'failed', error: 'the fixture refuses' });
    expect(await call(running, 'mcp.fx.picture', {}, granted)).toEqual({ status: 'completed', output: '[image image/png, 16 bytes, not shown]\n\n[resource file:///notes.txt]\nthe notes' });
    const big = await call(running, 'mcp.fx.big', { chars: 1_500_000 }, granted);
    expect(big.status === 'completed' && big.output).toMatch(/\[truncated: 800\d+ of 100\d+ characters not shown; the whole output is stored as tool output [0-9a-f]{64}\]$/);
  });

  it('times a call out, and stops one its session interrupts, cancelling it at the server', async () => {
    const quick = await start([stdio('quick', { timeoutMs: 300 })]);
    try {
      expect(await call(quick, 'mcp.quick.slow', { ms: 10_000 }, granted)).toEqual({ status: 'failed', error: 'mcp.quick.slow did not finish within 300 ms' });
      const stop = new AbortController();
      const interrupted = call(quick, 'mcp.quick.slow', { ms: 10_000 }, { ...granted, stopped: stop.signal });
      stop.abort(new Error('stopped: interrupted by the test'));
      expect(await interrupted).toEqual({ status: 'failed', error: 'stopped: interrupted by the test' });
      expect(await call(quick, 'mcp.quick.echo_text', { text: 'still here' }, granted)).toEqual({ status: 'completed', output: 'still here' });

    } finally {
      await quick.servers.stop();
    }
  });

  it('restarts a server that exits; calls meanwhile fail at once saying why, and work again after', async () => {
    await call(running, 'mcp.fx.exit', {}, granted);
    await until(running, 'fx', 'restarting');
    const meanwhile = await call(running, 'mcp.fx.echo_text', { text: 'hi' }, granted);
    expect(meanwhile).toMatchObject({ status: 'failed' });
    expect(meanwhile.status === 'failed' && meanwhile.error).toMatch(/^the MCP server fx is restarting after its process ended(; its last line on stderr: "fixture: exiting as asked")?; try again shortly$/);
    await until(running, 'fx', 'connected');
    expect(await call(running, 'mcp.fx.echo_text', { text: 'back' }, granted)).toEqual({ status: 'completed', output: 'back' });
    expect(running.servers.statuses()[0]?.restarts).toBe(1);
    // The tool the earlier test grew is gone from the restarted server: out of the catalogue, and withdrawn.
    expect(running.catalogue.has('mcp.fx.grown_tool')).toBe(false);
    expect(running.withdrawn).toEqual(['mcp.fx.grown_tool']);
  }, 20_000);
});

describe('a hostile MCP server', () => {
  it('has its absurd tools refused with reasons, and its huge output cut', async () => {
    const running = await start([stdio('bad', { env: {} }, 'hostile')]);
    try {
      const offered = [...running.catalogue.keys()];
      expect(offered.slice(0, 3)).toEqual(['mcp.bad.ok', 'mcp.bad.dangling', 'mcp.bad.patterned']);
      expect(offered).toHaveLength(3 + 119);
      // A pattern would run as a backtracking regular expression on the model's input: dropped, from what is shown too.
      expect(running.catalogue.get('mcp.bad.patterned')?.input.jsonSchema).toEqual({ type: 'object', properties: { id: { type: 'string', maxLength: 8 } }, required: ['id'] });
      const refused = running.servers.statuses()[0]?.refused ?? [];
      expect(refused.slice(0, 7)).toEqual([
        { tool: 'Same.Name', reason: 'the tools "Same.Name", "same_name" all map to "mcp.bad.same_name"' },
        { tool: 'same_name', reason: 'the tools "Same.Name", "same_name" all map to "mcp.bad.same_name"' },
        { tool: 'n'.repeat(55), reason: `"mcp.bad.${'n'.repeat(55)}" would be 65 characters where providers take 64 ("." is sent as "__")` },
        { tool: 'deep', reason: 'its input schema nests more than 32 levels deep' },
        { tool: 'wide', reason: expect.stringMatching(/^its input schema is \d+ bytes as JSON, more than 65536$/) },
        { tool: 'keyed', reason: 'its input schema uses "patternProperties", which is not run (a backtracking regular expression could hang the check)' },
        { tool: 'filler_119', reason: 'the server offers more than 128 tools' },
      ]);
      // A $ref to nowhere is found when a call reaches it: the model is told, and the server is not called.
      const dangling = await call(running, 'mcp.bad.dangling', { a: 1 });
      expect(dangling.status === 'failed' && dangling.error).toMatch(/^invalid input for mcp\.bad\.dangling: its schema cannot be checked/);
      const huge = await call(running, 'mcp.bad.ok', {});
      expect(huge.status === 'completed' && huge.output.length).toBeLessThan(201_000);
    } finally {
      await running.servers.stop();
    }
  }, 20_000);
});

describe('a server that sends more than one message may hold', () => {
  it('is cut off and restarted rather than read whole', async () => {
    const running = await start([stdio('huge')]);
    try {
      expect(await call(running, 'mcp.huge.big', { chars: 9_000_000 }, granted)).toEqual({
        status: 'failed',
        error: 'the MCP server huge is restarting after it sent a response larger than the executor reads; try again shortly',
      });
    } finally {
      await running.servers.stop();
    }
  });
});

describe('a server that cannot be started', () => {
  it('is retried, and its tools are none until it starts; a secret the vault lacks is named', async () => {
    const running = await start([
      { name: 'missing', command: '/nonexistent/mcp-server', args: [], env: {}, timeoutMs: 1_000 },
      { name: 'unkeyed', command: process.execPath, args: [fixtureScript, 'stdio'], env: { T: { secret: 'ABSENT' } }, timeoutMs: 1_000 },
    ]);
    try {
      expect(running.catalogue.size).toBe(0);
      const [missing, unkeyed] = running.servers.statuses();
      expect(missing).toMatchObject({ status: 'restarting', lastError: expect.stringMatching(/^it could not be started \(.*ENOENT/) });
      expect(unkeyed).toMatchObject({ status: 'restarting', lastError: 'it could not be started (no secret ABSENT)' });
    } finally {
      await running.servers.stop();
    }
  });
});

describe('an MCP server over Streamable HTTP', () => {
  it('gets its headers with vault secrets, and is reconnected after it restarts', async () => {
    let http = await startHttpMcpServer();
    const running = await start([{ name: 'web', url: http.url, headers: { Authorization: { secret: 'API_KEY', template: 'Bearer {secret}' } }, timeoutMs: 5_000 }]);
    try {
      expect(await call(running, 'mcp.web.whoami', {}, granted)).toEqual({ status: 'completed', output: 'authorization: Bearer [secret:API_KEY]' });
      // An answer past 8 MiB is cut off while it arrives, not read whole, and the connection made again.
      const huge = await call(running, 'mcp.web.big', { chars: 9_000_000 }, granted);
      expect(huge.status === 'failed' && huge.error).toBe('the MCP server web is restarting after it sent a response larger than the executor reads; try again shortly');
      await until(running, 'web', 'connected');
      await http.close();
      const meanwhile = await call(running, 'mcp.web.echo_text', { text: 'hi' }, granted);
      expect(meanwhile.status === 'failed' && meanwhile.error).toMatch(/^the MCP server web is restarting after a call found it gone \(.*\); try again shortly$/);
      http = await startHttpMcpServer(http.port);
      await until(running, 'web', 'connected');
      expect(await call(running, 'mcp.web.echo_text', { text: 'back' }, granted)).toEqual({ status: 'completed', output: 'back' });
      expect(logged.join('\n')).not.toContain(apiKey);
    } finally {
      await running.servers.stop();
      await http.close();
    }
  }, 20_000);

  it('finds by its health check a server that went away while nobody called it', async () => {
    let http = await startHttpMcpServer();
    const running = await start([{ name: 'quiet', url: http.url, headers: {}, timeoutMs: 5_000 }], 100);
    try {
      await http.close();
      await until(running, 'quiet', 'restarting');
      expect(running.servers.statuses()[0]?.lastError).toMatch(/^it did not answer a ping|^it could not be started/);
      http = await startHttpMcpServer(http.port);
      await until(running, 'quiet', 'connected');
      expect(running.recorded.filter((status) => status.status === 'restarting').length).toBeGreaterThan(0);
    } finally {
      await running.servers.stop();
      await http.close();
    }
  }, 20_000);

  it('offers the tools of a server that was down at start once it comes up', async () => {
    const probe = await startHttpMcpServer();
    await probe.close();
    const running = await start([{ name: 'late', url: probe.url, headers: {}, timeoutMs: 5_000 }]);
    let http: Awaited<ReturnType<typeof startHttpMcpServer>> | undefined;
    try {
      expect(running.catalogue.size).toBe(0);
      expect(running.servers.statuses()[0]).toMatchObject({ status: 'restarting', lastError: expect.stringMatching(/^it could not be started/) });
      http = await startHttpMcpServer(probe.port);
      await until(running, 'late', 'connected');
      expect(running.offered).toContain('mcp.late.echo_text');
      expect(await call(running, 'mcp.late.echo_text', { text: 'late' })).toEqual({ status: 'completed', output: 'late' });
    } finally {
      await running.servers.stop();
      await http?.close();
    }
  }, 20_000);
});
