import type { SignalboxClient } from '@signalbox/client';
import type { Logger, RuntimeConfig } from '@signalbox/runtime';
import type { ApiTokens } from '@signalbox/store';
import type { Caller } from '../core/access.ts';
import type { RateLimiter, StreamCounter } from './rate-limiter.ts';
import type { SessionsView } from './sessions-view.ts';

/** What the routes are given: the SDK for everything they read and do, and the gateway's own state. */
export interface GatewayDeps {
  client: SignalboxClient;
  /** The sessions index, held current in memory: what listings read. */
  sessions: SessionsView;
  tokens: ApiTokens;
  settings: RuntimeConfig['gateway'];
  consoleDir: string;
  logger: Logger;
  clock: () => number;
  limiter: RateLimiter;
  streams: StreamCounter;
  /** Aborts when the gateway stops: its live streams end. */
  stopping: AbortSignal;
}

/** What a route's handler finds on its context once the caller is let in. */
export interface GatewayEnv {
  Variables: { caller: Caller | undefined };
}
