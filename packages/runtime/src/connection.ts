import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * A connection that keeps reconnecting: a NATS restart pauses work, it does not end it.
 * `servers` may list several URLs, comma-separated, to fail over between cluster nodes.
 */
export function connectNats(servers: string, name: string): Promise<NatsConnection> {
  // Async stack traces cost an Error per request on the hot path.
  return connect({ servers: servers.split(','), name, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
}
