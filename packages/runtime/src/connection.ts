import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { requireSupportedServer } from '@signalbox/store';
import { connectionFailure, natsConnectOptions, type NatsAuth } from './nats-auth.ts';

/**
 * Reconnect forever, and notice a server that stopped answering (a frozen or partitioned node keeps
 * the socket open) within about 10 s: nats.js's default two-minute pings left workers stalled that long.
 */
export const keepConnected = { maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 5_000, maxPingOut: 2 } as const;

/**
 * Connection settings other than where and as whom, which come from the URL and `NatsAuth`. `flushAfterTurn`
 * is this project's patch of nats-core (patches/@nats-io__nats-core@3.4.0.patch): what a turn of the event loop
 * sends leaves in one socket write, not one write each microtask turn.
 */
export type ConnectSettings = Omit<NodeConnectionOptions, 'servers' | 'authenticator' | 'tls'> & { flushAfterTurn?: boolean };

/**
 * Connects with the credentials in the URL and `auth`: the one way every process, the CLI and the
 * tests connect. A failure is a NatsConnectionError that says why (credentials refused, TLS, nothing
 * answering), URLs masked.
 */
export async function connectAuthenticated(servers: string, auth: NatsAuth, settings: ConnectSettings = {}): Promise<NatsConnection> {
  const options: NodeConnectionOptions = { ...settings, ...natsConnectOptions(servers, auth) };
  // With reconnects on, a server that refuses the client's certificate after the handshake is retried
  // until the timeout (20 s) and reported only as one: a single attempt without them first says why, at once.
  if (options.reconnect !== false) await connectOnce(servers, { ...options, reconnect: false }).then((nc) => nc.close());
  return connectOnce(servers, options);
}

async function connectOnce(servers: string, options: NodeConnectionOptions): Promise<NatsConnection> {
  try {
    return await connect(options);
  } catch (error) {
    throw connectionFailure(servers, error, options.tls !== undefined);
  }
}

/**
 * A connection that keeps reconnecting: a NATS restart pauses work, it does not end it.
 * `servers` may list several URLs, comma-separated, to fail over between cluster nodes, and carry
 * credentials (`nats://user:pass@host`); `auth` gives the others (token, NKey, creds, TLS).
 * Refuses a server older than Signalbox supports (UnsupportedServerError), before any work starts.
 */
export async function connectNats(servers: string, name: string, auth: NatsAuth = {}): Promise<NatsConnection> {
  // Async stack traces cost an Error per request on the hot path. Each socket write is a syscall that wakes the
  // server: a step's append and the ledger record or live `done` before it share one (5-10% of a step's CPU in process).
  const nc = await connectAuthenticated(servers, auth, { name, ...keepConnected, noAsyncTraces: true, flushAfterTurn: true });
  try {
    requireSupportedServer(nc);
  } catch (error) {
    await nc.close();
    throw error;
  }
  return nc;
}
