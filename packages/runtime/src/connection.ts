import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { requireSupportedServer } from '@signalbox/store';

/**
 * Reconnect forever, and notice a server that stopped answering (a frozen or partitioned node keeps
 * the socket open) within about 10 s: nats.js's default two-minute pings left workers stalled that long.
 */
export const keepConnected = { maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 5_000, maxPingOut: 2 } as const;

/**
 * A connection that keeps reconnecting: a NATS restart pauses work, it does not end it.
 * `servers` may list several URLs, comma-separated, to fail over between cluster nodes.
 * Refuses a server older than Signalbox supports (UnsupportedServerError), before any work starts.
 */
export async function connectNats(servers: string, name: string): Promise<NatsConnection> {
  // Async stack traces cost an Error per request on the hot path.
  const nc = await connect({ servers: servers.split(','), name, ...keepConnected, noAsyncTraces: true });
  try {
    requireSupportedServer(nc);
  } catch (error) {
    await nc.close();
    throw error;
  }
  return nc;
}
