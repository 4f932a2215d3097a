import type { ToolJob, ToolOutcome } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { execute, toolCatalogue } from './execute.ts';
import { httpFetch, httpFetchTool, maxResponseBodyBytes, type HttpFetchOptions, type ResolveHost } from './http-fetch.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace } from './memory-workspace.ts';
import { advertisementOf, type ToolSpec } from './tool.ts';

const logger = createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' });

/** A rule naming the test servers' loopback address, and nothing else. */
const allowLoopbackOne: HttpFetchOptions['allowPrivate'] = ({ address }) => address === '127.0.0.1';

/** Literal addresses are never resolved: a resolver that answers shows the check did not ask it. */
const noResolving: ResolveHost = async (hostname) => {
  throw new Error(`resolved ${hostname}`);
};

const outputs = new Map<string, string>();

/** Runs one http.fetch call through `execute`, as the executor does: its outcome is what the model sees. */
async function call(tool: ToolSpec, input: unknown, grant?: { namedHosts?: string[] }): Promise<ToolOutcome> {
  const job: ToolJob = { sessionId: 's1', correlationId: 's1', callId: 'c1', tool: tool.name, input, idempotencyKey: 's1/c1' };
  const environment = { workspace: memoryWorkspace(), outputs: memoryOutputs(outputs), logger, now: () => 0, ...(grant ? { grant } : {}) };
  return (await execute(toolCatalogue([tool]), job, environment)).outcome;
}

/** The response the model reads, from a completed outcome (a long one from the whole stored output). */
function responseOf(outcome: ToolOutcome): Record<string, unknown> {
  if (outcome.status !== 'completed') throw new Error(`the call did not complete: ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.wholeOutput ? (outputs.get(outcome.wholeOutput.sha256) ?? '') : outcome.output) as Record<string, unknown>;
}

interface TestServer {
  port: number;
  url: string;
  requests: { request: IncomingMessage; body: string }[];
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** A loopback HTTP server that records each request with its body before answering it. */
async function serve(respond: RequestListener, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.once('end', () => {
      requests.push({ request, body });
      respond(request, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, url: `http://${host}:${bound}`, requests };
}

describe('http.fetch', () => {
  it('is advertised as not idempotent: a POST may not be repeated', () => {
    expect(advertisementOf(httpFetch)).toMatchObject({ name: 'http.fetch', idempotent: false });
  });

  it('sends a GET with its headers, and shows the status, main headers and body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5, 'set-cookie': 'session=secret', 'x-internal': 'yes' }).end('hello');
    });
    const outcome = await call(httpFetchTool({ allowPrivate: allowLoopbackOne }), {
      method: 'GET',
      url: `${server.url}/items?limit=5`,
      headers: { Accept: 'text/plain', 'X-Trace': 'abc' },
    });
    expect(responseOf(outcome)).toEqual({ status: 200, headers: { 'content-type': 'text/plain', 'content-length': '5' }, body: 'hello' });
    const [seen] = server.requests;
    expect(seen?.request.method).toBe('GET');
    expect(seen?.request.url).toBe('/items?limit=5');
    expect(seen?.request.headers).toMatchObject({ host: `127.0.0.1:${server.port}`, accept: 'text/plain', 'x-trace': 'abc' });
  });

  it('sends a POST body with its length, and reads the answer', async () => {
    const server = await serve((request, response) => {
      response.writeHead(201, { 'content-type': 'application/json', location: '/items/7' }).end('{"id":7}');
    });
    const outcome = await call(httpFetchTool({ allowPrivate: allowLoopbackOne }), {
      method: 'POST',
      url: `${server.url}/items`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"thé"}',
    });
    expect(responseOf(outcome)).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', location: '/items/7' },
      body: '{"id":7}',
    });
    expect(server.requests[0]?.body).toBe('{"name":"thé"}');
    expect(server.requests[0]?.request.headers).toMatchObject({ 'content-length': '15', 'content-type': 'application/json' });
  });

  it('refuses the same loopback URL when no rule names it, before connecting', async () => {
    const server = await serve((_request, response) => response.end('hello'));
    expect(await call(httpFetch, { method: 'GET', url: server.url })).toEqual({
      status: 'failed',
      error:
        'refused: 127.0.0.1 is a loopback address; http.fetch reaches loopback, private, link-local and other special addresses only when a policy rule names them',
    });
    expect(server.requests).toEqual([]);
  });

  describe('reaches a special address only when the grant names the host', () => {
    it('refuses loopback with no grant, or a grant naming other hosts', async () => {
      const server = await serve((_request, response) => response.end('hello'));
      for (const grant of [undefined, {}, { namedHosts: ['example.com', '127.0.0.2', '10.0.0.1'] }]) {
        expect(await call(httpFetch, { method: 'GET', url: server.url }, grant)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address;/) });
      }
      expect(server.requests).toEqual([]);
    });

    it('reaches 127.0.0.1 when the grant names it, in whichever form the URL writes it', async () => {
      const server = await serve((_request, response) => response.end('hello'));
      const grant = { namedHosts: ['127.0.0.1'] };
      expect(responseOf(await call(httpFetch, { method: 'GET', url: server.url }, grant))).toMatchObject({ status: 200, body: 'hello' });
      expect(responseOf(await call(httpFetch, { method: 'GET', url: `http://127.1:${server.port}/` }, grant))).toMatchObject({ status: 200, body: 'hello' });
      expect(server.requests).toHaveLength(2);
    });

    it('refuses 127.0.0.1 when the grant names localhost: it names a host, not what it resolves to', async () => {
      const server = await serve((_request, response) => response.end('hello'));
      expect(await call(httpFetch, { method: 'GET', url: server.url }, { namedHosts: ['localhost'] })).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address;/),
      });
      expect(server.requests).toEqual([]);
    });

    it('reaches a host name the grant names whatever its case, at the address it resolves to', async () => {
      const server = await serve((_request, response) => response.end('inside'));
      const tool = httpFetchTool({ resolve: async () => [{ address: '127.0.0.1' }] });
      const url = `http://Db.Internal:${server.port}/`;
      expect(responseOf(await call(tool, { method: 'GET', url }, { namedHosts: ['DB.internal'] }))).toMatchObject({ status: 200, body: 'inside' });
      expect(await call(tool, { method: 'GET', url }, { namedHosts: ['127.0.0.1'] })).toMatchObject({
        error: expect.stringContaining('refused: db.internal resolves to 127.0.0.1, a loopback address;'),
      });
    });
  });

  it('cuts a body at the limit and stops reading it', async () => {
    let written = 0;
    let closed: () => void = () => {};
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const server = await serve((_request, response) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      response.once('close', closed);
      // An endless body: only the reader hanging up stops it.
      const writeMore = () => {
        while (!response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) return;
        }
      };
      response.on('drain', writeMore);
      writeMore();
    });
    const response = responseOf(await call(httpFetchTool({ allowPrivate: allowLoopbackOne }), { method: 'GET', url: server.url }));
    expect(response).toMatchObject({ status: 200, note: `body cut at ${maxResponseBodyBytes} bytes: the rest was not read` });
    expect(response.body).toBe('a'.repeat(maxResponseBodyBytes));
    // The endless body ended: the reader hung up. What was written past the limit sat in socket buffers (a few MiB).
    await connectionClosed;
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives up on a server that never answers at its time limit, and hangs up', async () => {
    let hungUp: () => void = () => {};
    const connectionClosed = new Promise<void>((resolve) => (hungUp = resolve));
    const server = await serve((request) => request.socket.once('close', hungUp));
    const outcome = await call(httpFetchTool({ allowPrivate: allowLoopbackOne, timeoutMs: 200 }), { method: 'GET', url: server.url });
    expect(outcome).toEqual({ status: 'failed', error: 'http.fetch did not finish within 200 ms' });
    await connectionClosed;
  });

  describe('refuses special addresses written as literals, whatever their form', () => {
    it.each([
      ['http://127.0.0.1/', '127.0.0.1 is a loopback'],
      ['http://2130706433/', '127.0.0.1 is a loopback'],
      ['http://0x7f000001/', '127.0.0.1 is a loopback'],
      ['http://0177.0.0.1/', '127.0.0.1 is a loopback'],
      ['http://127.1:8080/', '127.0.0.1 is a loopback'],
      ['http://[::1]/', '::1 is a loopback'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback'],
      ['http://[::7f00:1]/', '::7f00:1 is a reserved'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a linkLocal'],
      ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe is a linkLocal'],
      ['http://[fe80::1]/', 'fe80::1 is a linkLocal'],
      ['http://10.0.0.1/', '10.0.0.1 is a private'],
      ['http://172.16.5.4/', '172.16.5.4 is a private'],
      ['https://192.168.1.1/', '192.168.1.1 is a private'],
      ['http://[fd00::1]/', 'fd00::1 is a uniqueLocal'],
      ['http://0.0.0.0/', '0.0.0.0 is a unspecified'],
      ['http://0/', '0.0.0.0 is a unspecified'],
      ['http://100.64.0.1/', '100.64.0.1 is a carrierGradeNat'],
      ['http://224.0.0.251/', '224.0.0.251 is a multicast'],
      ['http://[ff02::1]/', 'ff02::1 is a multicast'],
    ])('%s', async (url, refusal) => {
      const outcome = await call(httpFetchTool({ resolve: noResolving }), { method: 'GET', url });
      expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining(`refused: ${refusal} address;`) });
    });
  });

  it('refuses localhost, on the address the system resolves it to', async () => {
    const server = await serve((_request, response) => response.end('hello'));
    const outcome = await call(httpFetch, { method: 'GET', url: `http://localhost:${server.port}/` });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address;/) });
    expect(server.requests).toEqual([]);
  });

  it('refuses a host name that resolves to a private address, or to any among public ones', async () => {
    const answers: Record<string, string[]> = { 'intranet.example': ['10.0.0.5'], 'mixed.example': ['93.184.215.14', '192.168.0.7'] };
    const tool = httpFetchTool({ resolve: async (hostname) => (answers[hostname] ?? []).map((address) => ({ address })) });
    expect(await call(tool, { method: 'GET', url: 'http://intranet.example/' })).toMatchObject({
      error: expect.stringContaining('refused: intranet.example resolves to 10.0.0.5, a private address;'),
    });
    expect(await call(tool, { method: 'GET', url: 'http://mixed.example/' })).toMatchObject({
      error: expect.stringContaining('refused: mixed.example resolves to 192.168.0.7, a private address;'),
    });
    expect(await call(tool, { method: 'GET', url: 'http://nowhere.example/' })).toEqual({ status: 'failed', error: 'nowhere.example resolves to no address' });
  });

  it('connects to the address it checked, so a name that rebinds to loopback never reaches it', async () => {
    // 127.0.0.2 stands for a public address (a rule allows it); 127.0.0.1 is the loopback it rebinds to.
    const outside = await serve((_request, response) => response.end('outside'), '127.0.0.2');
    const loopback = await serve((_request, response) => response.end('loopback'), '127.0.0.1', outside.port);
    const answers = ['127.0.0.2', '127.0.0.1'];
    const resolve: ResolveHost = async () => [{ address: answers.shift() ?? '127.0.0.1' }];
    const tool = httpFetchTool({ resolve, allowPrivate: ({ address }) => address === '127.0.0.2' });
    const url = `http://rebind.example:${outside.port}/`;

    expect(responseOf(await call(tool, { method: 'GET', url }))).toMatchObject({ status: 200, body: 'outside' });
    expect(outside.requests[0]?.request.headers.host).toBe(`rebind.example:${outside.port}`);
    expect(await call(tool, { method: 'GET', url })).toMatchObject({
      error: expect.stringContaining('refused: rebind.example resolves to 127.0.0.1, a loopback address;'),
    });
    expect(answers).toEqual([]);
    expect(loopback.requests).toEqual([]);
  });

  it('does not follow a redirect: it shows where to, and going there is a call checked like any', async () => {
    const server = await serve((_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const tool = httpFetchTool({ allowPrivate: allowLoopbackOne });
    expect(responseOf(await call(tool, { method: 'GET', url: server.url }))).toEqual({
      status: 302,
      headers: { location: 'http://169.254.169.254/latest/meta-data/' },
      body: '',
      redirect: 'not followed: call http.fetch with the location to follow it',
    });
    expect(await call(tool, { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' })).toMatchObject({
      error: expect.stringContaining('refused: 169.254.169.254 is a linkLocal address;'),
    });
  });

  it.each([
    [{ method: 'GET', url: 'file:///etc/passwd' }, 'url: only http and https URLs are fetched, not file:'],
    [{ method: 'GET', url: 'http://user:pw@example.com/' }, 'url: must not carry a user name or password: send credentials in a header'],
    [{ method: 'GET', url: 'example.com/x' }, 'url: not an absolute URL'],
    [{ method: 'CONNECT', url: 'http://example.com/' }, 'method: Invalid option: expected one of "GET"|"HEAD"|"POST"|"PUT"|"PATCH"|"DELETE"'],
    [{ method: 'GET', url: 'http://example.com/', headers: { Host: 'internal' } }, 'headers.Host: cannot be set: set from the URL'],
    [{ method: 'GET', url: 'http://example.com/', headers: { 'Transfer-Encoding': 'chunked' } }, 'headers.Transfer-Encoding: cannot be set: a hop-by-hop header, set by the connection itself'],
    [{ method: 'GET', url: 'http://example.com/', headers: { 'X-A': 'a\r\nX-B: b' } }, 'headers.X-A: must not contain control characters'],
    [{ method: 'GET', url: 'http://example.com/', body: 'x' }, 'body: a GET request carries no body'],
  ])('fails invalid input with the field to fix: %j', async (input, problem) => {
    expect(await call(httpFetchTool({ resolve: noResolving }), input)).toEqual({ status: 'failed', error: `invalid input for http.fetch: ${problem}` });
  });
});

describe('http.fetch with a secret in a header', () => {
  const token = 'ghp_header-canary-0a9f';
  const vault: Record<string, string> = { GITHUB_TOKEN: token, EVIL: 'line\r\nX-Injected: 1' };
  const fetchTool = httpFetchTool({ allowPrivate: allowLoopbackOne });
  /** Echoes the request's headers in the body, as a hostile or careless server might. */
  const echoHeaders: RequestListener = (request, response) => response.end(JSON.stringify(request.headers));
  async function callWith(input: unknown, granted: string[]): Promise<ToolOutcome> {
    const job: ToolJob = { sessionId: 's1', correlationId: 's1', callId: 'c1', tool: 'http.fetch', input, idempotencyKey: 's1/c1' };
    const openSecret = async (name: string) => vault[name] ?? Promise.reject(new Error(`there is no secret ${name} in the vault`));
    const environment = { workspace: memoryWorkspace(), outputs: memoryOutputs(outputs), logger, now: () => 0, grant: { secrets: granted }, openSecret };
    return (await execute(toolCatalogue([fetchTool]), job, environment)).outcome;
  }

  it('sends the value in place of {{secret:NAME}}, and shows the echoed header masked', async () => {
    const server = await serve(echoHeaders);
    const outcome = await callWith({ url: server.url, headers: { authorization: 'Bearer {{secret:GITHUB_TOKEN}}', 'x-plain': 'no secret' } }, ['GITHUB_TOKEN']);
    expect(server.requests[0]?.request.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.stringify(outcome)).not.toContain(token);
    expect(JSON.parse(String(responseOf(outcome).body))).toMatchObject({ authorization: 'Bearer [secret:GITHUB_TOKEN]', 'x-plain': 'no secret' });
  });

  it('sends nothing when a header names a secret the grant does not give', async () => {
    const server = await serve(echoHeaders);
    const outcome = await callWith({ url: server.url, headers: { authorization: 'Bearer {{secret:AWS_KEY}}' } }, ['GITHUB_TOKEN']);
    expect(outcome).toEqual({ status: 'failed', error: "http.fetch needs the secret AWS_KEY: the call's policy does not grant it" });
    expect(server.requests).toEqual([]);
  });

  it('refuses a secret whose value would smuggle a header in, naming the header and not the value', async () => {
    const server = await serve(echoHeaders);
    const outcome = await callWith({ url: server.url, headers: { 'x-token': '{{secret:EVIL}}' } }, ['EVIL']);
    expect(outcome).toEqual({ status: 'failed', error: 'the header x-token, with its secrets filled in, holds a control character; a secret sent in a header must be one line of text' });
    expect(server.requests).toEqual([]);
  });

  it('needs no secret for a call whose headers name none, and leaves a placeholder outside a header as text', async () => {
    const server = await serve(echoHeaders);
    const outcome = await callWith({ url: `${server.url}/?q={{secret:GITHUB_TOKEN}}` }, []);
    expect(outcome.status).toBe('completed');
    expect(server.requests[0]?.request.url).toBe('/?q={{secret:GITHUB_TOKEN}}');
  });
});
