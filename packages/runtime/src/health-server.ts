import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './readiness.ts';

/** What the health endpoint asks its host. */
export interface HealthProbe {
  /** The process can still do work: false once its NATS connection is closed for good. */
  alive(): boolean;
  readiness(): Promise<Readiness>;
}

/** A running health endpoint: `GET /healthz` (liveness) and `GET /readyz` (readiness). */
export interface HealthServer {
  /** The base URL, without a path. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Small limits: probes send a line and a few headers, so anything larger or slower is not a probe.
 * Headers past `maxHeaderSize` get Node's 431; a request that dawdles is cut off; a flood of
 * connections beyond `maxConnections` is refused rather than queued.
 */
const limits = { maxHeaderSize: 4_096, requestTimeout: 5_000, headersTimeout: 5_000, keepAliveTimeout: 2_000 } as const;
const maxConnections = 64;

/**
 * Serves liveness and readiness for kubelets, compose and load balancers at `http://<host>:<port>`
 * (port 0: any free one). Answers GET and HEAD on the two paths; nothing else, and never echoes the request.
 */
export async function serveHealth(probe: HealthProbe, host: string, port: number): Promise<HealthServer> {
  const server = createServer(limits, (request, response) => {
    // A body is never read: drop it rather than let it sit in the socket's buffer.
    request.resume();
    answer(probe, request, response).catch(() => send(response, 500, { error: 'the probe failed' }));
  });
  server.maxConnections = maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A kept-alive probe connection would hold close() open until it times out.
        server.closeAllConnections();
      }),
  };
}

async function answer(probe: HealthProbe, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz') return send(response, 404, { error: 'not found: GET /healthz or /readyz' });
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, { error: 'method not allowed: GET or HEAD' }, { allow: 'GET, HEAD' });
  if (path === '/healthz') return probe.alive() ? send(response, 200, { alive: true }) : send(response, 503, { alive: false, reason: 'the NATS connection is closed' });
  const readiness = await probe.readiness();
  send(response, readiness.ready ? 200 : 503, readiness);
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
}
