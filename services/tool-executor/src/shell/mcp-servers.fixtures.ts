/**
 * Small MCP servers for the executor's tests, written with the SDK the executor connects with.
 * `node mcp-servers.fixtures.ts stdio|hostile` serves one over stdio; `startHttpMcpServer` serves
 * one over Streamable HTTP on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, isInitializeRequest, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A server with one tool of each kind the tests need. `headers`: what the HTTP request carried, for `whoami`. */
export function fixtureServer(): McpServer {
  const server = new McpServer({ name: 'fixture', version: '1.0.0' });
  server.registerTool(
    'Echo-Text',
    { description: 'Says the text back', inputSchema: { text: z.string().min(1), times: z.number().int().min(1).max(5).optional() }, annotations: { readOnlyHint: true } },
    ({ text, times }) => ({ content: [{ type: 'text', text: text.repeat(times ?? 1) }] }),
  );
  server.registerTool('env', { description: 'Reads a variable of its environment', inputSchema: { name: z.string() } }, ({ name }) => ({
    // This is the MCP server's own process, not Signalbox's: what its environment holds is what the test checks.
    // eslint-disable-next-line no-restricted-syntax
    content: [{ type: 'text', text: `${name}=${process.env[name] ?? '(unset)'}` }],
  }));
  server.registerTool('whoami', { description: 'Says the Authorization header the request carried' }, (extra) => ({
    content: [{ type: 'text', text: `authorization: ${String(extra.requestInfo?.headers['authorization'] ?? '(none)')}` }],
  }));
  server.registerTool('slow', { description: 'Waits, until cancelled', inputSchema: { ms: z.number().int() } }, async ({ ms }, extra) => {
    await sleep(ms, undefined, { signal: extra.signal }).catch(() => undefined);
    return { content: [{ type: 'text', text: extra.signal.aborted ? 'cancelled' : `waited ${ms} ms` }] };
  });
  server.registerTool('exit', { description: 'Ends its own process (stdio only)' }, () => {
    process.stderr.write('fixture: exiting as asked\n');
    setImmediate(() => process.exit(3));
    return { content: [{ type: 'text', text: 'bye' }] };
  });
  server.registerTool('fail', { description: 'Always reports an error' }, () => ({ content: [{ type: 'text', text: 'the fixture refuses' }], isError: true }));
  server.registerTool('picture', { description: 'Returns an image and a resource' }, () => ({
    content: [
      { type: 'image', data: Buffer.from('not really a png').toString('base64'), mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'the notes' } },
    ],
  }));
  server.registerTool('grow', { description: 'Adds a tool to its list (the server tells its clients the list changed)' }, () => {
    server.registerTool('Grown Tool', { description: 'Added while running' }, () => ({ content: [{ type: 'text', text: 'grown' }] }));
    return { content: [{ type: 'text', text: 'grew' }] };
  });
  server.registerTool('big', { description: 'Returns a long text', inputSchema: { chars: z.number().int() } }, ({ chars }) => ({ content: [{ type: 'text', text: 'x'.repeat(chars) }] }));
  return server;
}

/** A server whose listing is hostile: far too many tools, names that collide or no provider takes, absurd schemas. */
export function hostileServer(): Server {
  const server = new Server({ name: 'hostile', version: '1.0.0' }, { capabilities: { tools: {} } });
  const object = { type: 'object', properties: {} };
  let deep: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < 100; level += 1) deep = { type: 'object', properties: { inner: deep } };
  const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 5_000 }, (_, index) => [`p${index}`, { type: 'string', description: 'padding' }])) };
  const tools = [
    { name: 'ok', description: 'The one good tool', inputSchema: object },
    { name: 'Same.Name', inputSchema: object },
    { name: 'same_name', inputSchema: object },
    { name: 'n'.repeat(55), inputSchema: object },
    { name: 'deep', inputSchema: deep },
    { name: 'wide', inputSchema: wide },
    { name: 'dangling', inputSchema: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } } },
    { name: 'patterned', inputSchema: { type: 'object', properties: { id: { type: 'string', pattern: '^(a+)+$', maxLength: 8 } }, required: ['id'] } },
    { name: 'keyed', inputSchema: { type: 'object', patternProperties: { '^x-': { type: 'string' } } } },
    ...Array.from({ length: 1_000 }, (_, index) => ({ name: `filler_${index}`, inputSchema: object })),
  ];
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, () => ({ content: [{ type: 'text', text: 'y'.repeat(3_000_000) }] }));
  return server;
}

/** A fixture server over Streamable HTTP on 127.0.0.1 (sessions kept in memory, as most servers do). */
export async function startHttpMcpServer(port = 0): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((request, response) => {
    void handle(transports, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    port: bound,
    close: async () => {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function handle(transports: Map<string, StreamableHTTPServerTransport>, request: IncomingMessage, response: Parameters<StreamableHTTPServerTransport['handleRequest']>[1]): Promise<void> {
  const sessionId = request.headers['mcp-session-id'];
  const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (known) return known.handleRequest(request, response);
  const body = await readBody(request);
  if (request.method !== 'POST' || !isInitializeRequest(body)) {
    response.writeHead(typeof sessionId === 'string' ? 404 : 400).end();
    return;
  }
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => void transports.set(id, transport),
  });
  await fixtureServer().connect(transport);
  await transport.handleRequest(request, response, body);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

if (process.argv[1]?.endsWith('mcp-servers.fixtures.ts')) {
  const server = process.argv[2] === 'hostile' ? hostileServer() : fixtureServer();
  await server.connect(new StdioServerTransport());
}
