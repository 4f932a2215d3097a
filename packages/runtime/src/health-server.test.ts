import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHealth, type HealthProbe, type HealthServer } from './health-server.ts';
import { readinessOf } from './readiness.ts';

const probe = { alive: true, ready: true, fails: false };
const fakeProbe: HealthProbe = {
  alive: () => probe.alive,
  readiness: async () => {
    if (probe.fails) throw new Error('secret detail from the probe');
    return readinessOf({ started: true, draining: !probe.ready, connected: true });
  },
};

let server: HealthServer;

beforeAll(async () => {
  server = await serveHealth(fakeProbe, '127.0.0.1', 0);
});
afterAll(async () => {
  await server.close();
});

/** Sends `request` as raw bytes and returns the raw response (the server closes or the reply is whole). */
function raw(request: string | Buffer): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('end', () => resolve(reply));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(reply) : reject(error)));
    socket.write(request);
  });
}

describe('serveHealth', () => {
  it('answers liveness and readiness as JSON, not cached', async () => {
    Object.assign(probe, { alive: true, ready: true, fails: false });
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(await live.json()).toEqual({ alive: true });
    const ready = await fetch(`${server.url}/readyz?verbose=1`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, reasons: [] });
  });

  it('says 503 and why when not ready, and when not alive', async () => {
    Object.assign(probe, { alive: false, ready: false });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, reasons: ['draining'] });
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(503);
    expect(await live.json()).toEqual({ alive: false, reason: 'the NATS connection is closed' });
  });

  it('answers a probe that fails with 500 and no detail of the failure', async () => {
    Object.assign(probe, { alive: true, ready: true, fails: true });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('secret');
    probe.fails = false;
  });

  it('gives unknown paths, traversals and look-alikes a 404 that does not echo them', async () => {
    for (const path of ['/', '/metrics', '/readyz/', '/healthz%00', '/READYZ', '/<script>alert(1)</script>']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('script');
    }
    // Raw request lines, as fetch would normalise the dots away.
    for (const path of ['/../../etc/passwd', '/readyz/../healthz', '/%2e%2e/readyz', `/${'a'.repeat(3_000)}`]) {
      expect(await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), path).toMatch(/^HTTP\/1\.1 404 /);
    }
  });

  it('allows GET and HEAD only, and says so', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await fetch(`${server.url}/readyz`, { method, ...(method === 'POST' ? { body: 'x'.repeat(100_000) } : {}) });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(await raw('TRACE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
  });

  it('refuses huge headers with 431, and garbage with 400, and keeps serving', async () => {
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const many = Array.from({ length: 2_000 }, (_, index) => `X-${index}: y`).join('\r\n');
    expect(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw('\u0000\u0001 not http at all\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(Buffer.alloc(10_000, 0xff))).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('ignores a body sent with GET', async () => {
    const reply = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n${'b'.repeat(50_000)}`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses to start on a port already taken', async () => {
    const port = Number(new URL(server.url).port);
    await expect(serveHealth(fakeProbe, '127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
  });
});
