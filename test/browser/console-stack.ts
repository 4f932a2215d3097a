import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming } from '@signalbox/events';
import { gatewayService } from '@signalbox/gateway';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { ApiTokens } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, type ToolSpec } from '@signalbox/tool-executor';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which scripts/browser.sh installs; the tests skip, saying so, without it. */
export const chromiumPath = '/usr/bin/chromium';
export const browserProbe = existsSync(chromiumPath) ? { available: true as const } : { available: false as const, reason: `no ${chromiumPath} (scripts/browser.sh installs Debian's chromium as root)` };

const consoleDir = fileURLToPath(new URL('../../services/gateway/console', import.meta.url));
const viteBin = join(consoleDir, 'node_modules/vite/bin/vite.js');

/** A real installation on loopback: nats-server, the actor, the broker, an executor and the gateway serving a fresh console build. */
export interface ConsoleStack {
  url: string;
  token: string;
  client: SignalboxClient;
  browser: Browser;
  dispose(): Promise<void>;
}

/**
 * Builds the console from source into a temp folder (so the test sees today's code, and never touches
 * the checkout's dist), then starts the services and the gateway on a free loopback port, and Chromium.
 */
export async function startConsoleStack(tools: readonly ToolSpec[]): Promise<ConsoleStack> {
  const built = await mkdtemp(join(tmpdir(), 'sbx-console-'));
  await promisify(execFile)(process.execPath, [viteBin, 'build', '--logLevel', 'error', '--outDir', built, '--emptyOutDir'], { cwd: consoleDir });
  const server: NatsServer = await startNatsServer();
  const config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'browser', gateway: { port: 0, host: '127.0.0.1', consoleDir: built } });
  let url = '';
  const hosts: Host[] = [await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools }), gatewayService({ onListening: (at) => (url = at) })], config)];
  const nc: NatsConnection = await connect({ servers: server.url });
  const client = await SignalboxClient.open(nc);
  const { secret } = await (await ApiTokens.open(nc, naming('sbx'))).create('console-test', ['admin'], Date.now());
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    url: url.replace(/\/$/, ''),
    token: secret,
    client,
    browser,
    dispose: async () => {
      await browser.close();
      await nc.close();
      await Promise.all(hosts.map((host) => host.stop()));
      await server.dispose();
      await rm(built, { recursive: true, force: true });
    },
  };
}
