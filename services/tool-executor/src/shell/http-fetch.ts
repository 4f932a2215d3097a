import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { allowNamedHosts, allowNoPrivate, egressDecision, type AllowPrivate, type SpecialAddress } from '../core/egress.ts';
import { fillSecrets, secretsNamedIn } from '../core/secret-placeholders.ts';
import { traceHeadersOf } from '@signalbox/runtime';
import { HttpFetchInput } from './http-fetch-input.ts';
import { defineTool, type ToolSpec } from './tool.ts';

/** Bytes of a response body read at most: the rest is never read, so a huge or endless body costs no more. */
export const maxResponseBodyBytes = 256 * 1024;

/** Response headers the model is shown: what it needs to read the body or act on the answer, no cookies. */
const shownHeaders = ['content-type', 'content-length', 'content-language', 'location', 'etag', 'last-modified', 'cache-control', 'retry-after'];

/** Every address a host name resolves to (`dns.lookup` by default: the system's resolver, /etc/hosts included). */
export type ResolveHost = (hostname: string) => Promise<readonly { address: string }[]>;

export interface HttpFetchOptions {
  /**
   * Which special addresses (loopback, private, link-local…) this tool may always reach: none by
   * default. A call may also reach the hosts its grant names (`ToolContext.namedHosts`).
   */
  allowPrivate?: AllowPrivate;
  resolve?: ResolveHost;
  timeoutMs?: number;
}

/** A request to an address no rule allows: an expected outcome the model reads, not a fault. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
  readonly code = 'egress_refused';
  constructor({ host, address, range }: SpecialAddress) {
    const where = host === address ? `${address} is` : `${host} resolves to ${address},`;
    super(`refused: ${where} a ${range} address; http.fetch reaches loopback, private, link-local and other special addresses only when a policy rule names them`);
  }
}

/** A host name the resolver had no address for. */
export class UnresolvedHostError extends Error {
  override readonly name = 'UnresolvedHostError';
  readonly code = 'unresolved_host';
  constructor(host: string) {
    super(`${host} resolves to no address`);
  }
}

const systemResolver: ResolveHost = (hostname) => lookup(hostname, { all: true });

/**
 * The `http.fetch` tool. Redirects are not followed: a 3xx comes back with its location, and fetching
 * that is a new call, which a policy checks like the first. Not idempotent: a POST or DELETE may not be
 * repeated, and `idempotent` is per tool, so a call cut off mid-run is reported as of unknown outcome.
 */
export function httpFetchTool(options: HttpFetchOptions = {}): ToolSpec<HttpFetchInput> {
  const allowPrivate = options.allowPrivate ?? allowNoPrivate;
  const resolve = options.resolve ?? systemResolver;
  return defineTool({
    name: 'http.fetch',
    description:
      'Send an HTTP request and read the response: status, main headers and up to 256 KiB of body as text. ' +
      'Redirects are not followed (call again with the location). Loopback and private addresses are refused unless allowed. ' +
      'A header value may name a secret your policy grants as {{secret:NAME}}: it is filled in when sent, and shown as [secret:NAME].',
    input: HttpFetchInput,
    idempotent: false,
    timeoutMs: options.timeoutMs ?? 30_000,
    // A header value may name a secret (`{{secret:GITHUB_TOKEN}}`): a call needs exactly those its
    // headers name, each granted to it, and the model writes the name, never the value.
    secrets: (input) => secretsNamedIn(input.headers),
    run: async (input, { signal, namedHosts, secrets, traceContext }) => {
      const address = await checkedAddress(input.url, resolve, allowNamedHosts(namedHosts, allowPrivate));
      const filled = input.headers === undefined ? {} : fillSecrets(input.headers, secrets);
      const headers = traceContext ? withTraceHeaders(filled, traceHeadersOf(traceContext)) : filled;
      const response = await send({ ...input, headers }, address, signal);
      return { status: response.statusCode ?? 0, headers: shownHeadersOf(response), ...(await bodyOf(response)), ...redirectNote(response) };
    },
  });
}

/** The call's trace goes with its request (W3C `traceparent`), in place of any trace header the model wrote, whatever its case. */
function withTraceHeaders(headers: Record<string, string>, trace: Record<string, string>): Record<string, string> {
  const names = new Set(Object.keys(trace));
  if (names.size === 0) return headers;
  const kept = Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...trace };
}

/** The tool with no special address allowed: what an executor offers unless a policy names some. */
export const httpFetch = httpFetchTool();

/** The address to connect to, checked with every other address the host resolves to. */
async function checkedAddress(url: URL, resolve: ResolveHost, allowPrivate: AllowPrivate): Promise<string> {
  const host = bareHostname(url);
  // A literal is its own address: no resolver is asked, so its checked form is the one connected to.
  const [first, ...rest] = isIP(host) ? [host] : (await resolve(host)).map((answer) => answer.address);
  if (first === undefined) throw new UnresolvedHostError(host);
  const decision = egressDecision(host, [first, ...rest], allowPrivate);
  if (decision.kind === 'refuse') throw new EgressRefusedError(decision.target);
  return decision.address;
}

/** The URL's host without an IPv6 literal's brackets. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Sends the request to the checked address itself, so nothing resolves the name again between the
 * check and the connection (DNS rebinding). Host and TLS server name stay the URL's, so virtual hosts
 * and certificate checks work as for the name.
 */
function send({ method, url, headers, body }: HttpFetchInput, address: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const host = bareHostname(url);
  const requestOptions: https.RequestOptions = {
    method,
    host: address,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, host: url.host, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
    // A TLS server name must be a name: a literal address is checked against the certificate as is.
    ...(isIP(host) ? {} : { servername: host }),
    // A fresh connection every call: none is kept open to be reused by a later call to another host.
    agent: false,
    signal,
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(requestOptions, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

function shownHeadersOf(response: http.IncomingMessage): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name of shownHeaders) {
    const value = response.headers[name];
    if (typeof value === 'string') shown[name] = value;
  }
  return shown;
}

/** The body as text, read up to the limit; past it the response is dropped unread, and the result says so. */
async function bodyOf(response: http.IncomingMessage): Promise<{ body: string; note?: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    // Leaving the loop destroys the response and its connection: the rest is never read.
    if (size > maxResponseBodyBytes) {
      return { body: textOf(chunks, maxResponseBodyBytes), note: `body cut at ${maxResponseBodyBytes} bytes: the rest was not read` };
    }
  }
  return { body: textOf(chunks, size) };
}

function textOf(chunks: Buffer[], bytes: number): string {
  return Buffer.concat(chunks).subarray(0, bytes).toString('utf8');
}

function redirectNote(response: http.IncomingMessage): { redirect?: string } {
  const status = response.statusCode ?? 0;
  if (status < 300 || status >= 400 || response.headers.location === undefined) return {};
  return { redirect: 'not followed: call http.fetch with the location to follow it' };
}
