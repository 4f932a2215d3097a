import { chown } from 'node:fs/promises';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { namesHost } from '../core/egress.ts';

/** A proxy serving one call: closed when the call ends, with every connection through it. */
export interface EgressProxy {
  close(): Promise<void>;
}

/**
 * An HTTP proxy on a Unix socket that reaches the hosts a call's grant names and nothing else: CONNECT
 * (https, and any TCP a client tunnels) and plain requests in absolute form (http). The sandbox has no
 * network but loopback; its forwarder brings the command's connections here. Owned by `owner` (the
 * sandbox's uid), so the command may connect to it.
 */
export async function startEgressProxy(path: string, namedHosts: readonly string[], owner?: number): Promise<EgressProxy> {
  const sockets = new Set<Duplex>();
  const server = http.createServer((request, response) => forwardRequest(request, response, namedHosts));
  server.on('connect', (request: http.IncomingMessage, client: Duplex, head: Buffer) => tunnel(request, client, head, namedHosts, sockets));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  if (owner !== undefined) await chown(path, owner, owner);
  return {
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `host:port` of a CONNECT, the port required: IPv6 literals in brackets. */
function connectTarget(authority: string | undefined): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority ?? '');
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function tunnel(request: http.IncomingMessage, client: Duplex, head: Buffer, namedHosts: readonly string[], sockets: Set<Duplex>): void {
  const target = connectTarget(request.url);
  if (target === undefined || !namesHost(namedHosts, target.host)) {
    client.end(refusal(target?.host ?? request.url ?? ''));
    return;
  }
  const upstream = connect(target.port, target.host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  sockets.add(upstream);
  upstream.on('close', () => sockets.delete(upstream));
  upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  client.on('error', () => upstream.destroy());
}

function forwardRequest(request: http.IncomingMessage, response: http.ServerResponse, namedHosts: readonly string[]): void {
  const url = URL.canParse(request.url ?? '') ? new URL(request.url ?? '') : undefined;
  const host = url?.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url === undefined || url.protocol !== 'http:' || host === undefined || !namesHost(namedHosts, host)) {
    response.writeHead(403, { 'content-type': 'text/plain' }).end(refusalText(host ?? request.url ?? ''));
    return;
  }
  const upstream = http.request({ host, port: url.port || 80, method: request.method, path: `${url.pathname}${url.search}`, headers: request.headers, agent: false }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', () => response.writeHead(502).end());
  request.pipe(upstream);
}

function refusalText(host: string): string {
  return `refused: ${host} is not a host this call's policy names; shell.exec reaches named hosts only\n`;
}

function refusal(host: string): string {
  const body = refusalText(host);
  return `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
