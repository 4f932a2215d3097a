export { freePort } from './free-port.ts';
export { startNatsCluster } from './nats-cluster.ts';
export type { NatsCluster } from './nats-cluster.ts';
export { startNatsServer } from './nats-server.ts';
export type { NatsServer, NatsServerOptions } from './nats-server.ts';
