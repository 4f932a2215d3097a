import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { SignalboxClient } from '@signalbox/client';
import type { Service } from '@signalbox/runtime';
import { ApiTokens } from '@signalbox/store';
import { gatewayApp } from './shell/app.ts';
import { countApprovalsWaiting } from './shell/approvals-metric.ts';
import { RateLimiter, StreamCounter } from './shell/rate-limiter.ts';
import { SessionsView } from './shell/sessions-view.ts';

/** Where the console helper's Vite build writes the web console. */
export const defaultConsoleDir = fileURLToPath(new URL('../console/dist', import.meta.url));

/** How long requests in flight may take to finish once the gateway stops. */
const stopGraceMs = 2_000;

export interface GatewayOptions {
  /** Told where the gateway listens once it does (with port 0, the port the system gave). */
  onListening?: (url: string) => void;
  clock?: () => number;
}

/**
 * The HTTP API over the runtime (`/api/v1`, JSON and Server-Sent Events) and the web console's files.
 * It reads through the SDK and acts by the SDK's commands; it never appends to a session's log.
 */
export function gatewayService(options: GatewayOptions = {}): Service {
  return {
    name: 'gateway',
    start: async ({ nc, names, config, logger, metrics }) => {
      const settings = config.gateway;
      const clock = options.clock ?? Date.now;
      const stopping = new AbortController();
      const client = await SignalboxClient.open(nc, names.prefix);
      const sessions = await SessionsView.open(nc, names, client, logger);
      countApprovalsWaiting(metrics, sessions, logger);
      const app = gatewayApp({
        client,
        sessions,
        tokens: await ApiTokens.open(nc, names),
        settings,
        consoleDir: settings.consoleDir ?? defaultConsoleDir,
        logger,
        clock,
        limiter: new RateLimiter(settings.rate, clock),
        streams: new StreamCounter(settings.maxStreamsPerToken),
        stopping: stopping.signal,
      });
      const server = createAdaptorServer({ fetch: app.fetch });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new Error(`${settings.host}:${settings.port} is taken (another gateway?): set SIGNALBOX_GATEWAY_PORT to a free port`, { cause: error }) : error));
        server.listen(settings.port, settings.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}/`;
      logger.info({ url }, 'gateway listening');
      options.onListening?.(url);
      return {
        stop: async () => {
          stopping.abort();
          const http = server as typeof server & { closeIdleConnections(): void; closeAllConnections(): void };
          // Live streams end with `stopping`; requests in flight get a grace to finish, then their sockets go too.
          const cutOff = setTimeout(() => http.closeAllConnections(), stopGraceMs);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            http.closeIdleConnections();
          });
          clearTimeout(cutOff);
          await sessions.stop();
        },
      };
    },
  };
}
