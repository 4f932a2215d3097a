import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, cliMain } from '../support/cli-process.ts';

/**
 * What a deployment sees of a service process: `/readyz` on its health port once it is up, and on
 * SIGTERM a drain that ends with status 0 within the stated grace, or status 1 once the grace is out.
 */
const hangingHost = fileURLToPath(new URL('../support/hanging-host.ts', import.meta.url));
let server: NatsServer;
const started: ChildProcess[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server.dispose();
});

function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: checkout, env: { ...process.env, LOG_LEVEL: 'silent', NATS_URL: server.url, ...env }, stdio: 'ignore' });
  started.push(child);
  return child;
}

/** SIGTERM, then the exit code and how long the process took to exit. */
function terminate(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const sent = performance.now();
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve({ code, ms: performance.now() - sent }));
    child.kill('SIGTERM');
  });
}

async function readyAt(url: string): Promise<void> {
  await expect.poll(() => fetch(url).then((response) => response.status, () => 0), { timeout: 20_000, interval: 200 }).toBe(200);
}

describe('stopping a service process', () => {
  it('serves /readyz once up, and on SIGTERM drains and exits 0 well within its grace', async ({ annotate }) => {
    const port = await freePort();
    const child = start([cliMain, 'run', 'grader', 'supervisor', 'session-actor'], { SIGNALBOX_HEALTH_PORT: String(port), SIGNALBOX_STOP_GRACE_MS: '10000' });
    await readyAt(`http://127.0.0.1:${port}/readyz`);
    const { code, ms } = await terminate(child);
    void annotate(`drained and exited in ${Math.round(ms)} ms`, 'SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  });

  it('exits 1 once its grace is out when in-flight work does not finish', async () => {
    const port = await freePort();
    const child = start([hangingHost], { SIGNALBOX_HEALTH_PORT: String(port), SIGNALBOX_STOP_GRACE_MS: '1500' });
    await readyAt(`http://127.0.0.1:${port}/readyz`);
    const { code, ms } = await terminate(child);
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(6_000);
  });
});
