import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type Naming } from '@signalbox/events';
import { isPermissionDenied, missingProvisioning, openEventReader, provision, ProvisioningRefusedError, type EventReader } from '@signalbox/store';
import type { RuntimeConfig } from './config.ts';
import { connectNats } from './connection.ts';
import { serveHealth, type HealthServer } from './health-server.ts';
import { hostHealth } from './host-health.ts';
import { createLogger, type Logger } from './logger.ts';
import { createRuntimeMetrics, serveMetrics, type MetricsServer, type RuntimeMetrics } from './metrics.ts';
import { startTracing, type Tracing } from './tracing.ts';

/** What every service gets from its host. */
export interface ServiceContext {
  nc: NatsConnection;
  names: Naming;
  config: RuntimeConfig;
  logger: Logger;
  /**
   * The session logs, read-only: a service follows them with `startEventSubscriber` and reaches a
   * session by sending it a command. Only the session actor appends, through an `EventStore` it opens.
   */
  store: EventReader;
  /** The process's metrics: each service records its own; served at `/metrics` when `config.metrics.port` is set. */
  metrics: RuntimeMetrics;
  /** The process's traces, exported by OTLP; undefined when `config.tracing` names no endpoint: then a service records no span. */
  tracing?: Tracing;
}

export interface Service {
  readonly name: string;
  start(context: ServiceContext): Promise<RunningService>;
}

export interface RunningService {
  /** Finishes in-flight work and stops. */
  stop(): Promise<void>;
}

export interface Host {
  readonly nc: NatsConnection;
  readonly names: Naming;
  readonly metrics: RuntimeMetrics;
  /** Where the process serves its metrics, when `config.metrics.port` is set. */
  readonly metricsUrl: string | undefined;
  /** Where the process exports its traces, when `config.tracing` names an endpoint. */
  readonly tracesUrl: string | undefined;
  /** Where the process answers `/healthz` and `/readyz`, when `config.health.port` is set. */
  readonly healthUrl: string | undefined;
  /** How long a stop may take before `stopOnSignals` gives up on it (`config.stopGraceMs`). */
  readonly stopGraceMs: number;
  /** Stops every service (draining in-flight work), then the connection; `/readyz` says draining from the start. */
  stop(): Promise<void>;
}

/** Connects, provisions what is missing of the streams and buckets, and starts the services in this process. */
export async function startHost(services: readonly Service[], config: RuntimeConfig): Promise<Host> {
  const names = naming(config.prefix);
  const label = services.map((service) => service.name).join('+') || 'signalbox';
  const nc = await connectNats(config.natsUrl, `${label}@${config.instance}`, { ...config.natsAuth, inboxPrefix: config.natsAuth.inboxPrefix ?? serviceInboxPrefix(label) });
  const running: RunningService[] = [];
  const metrics = createRuntimeMetrics(config.instance);
  let endpoint: MetricsServer | undefined;
  let healthEndpoint: HealthServer | undefined;
  const health = hostHealth(nc, names);
  const tracing = startTracing(config.tracing, { services: services.map((service) => service.name), instance: config.instance });
  const stop = async (): Promise<void> => {
    health.draining();
    await Promise.all(running.map((service) => service.stop()));
    await endpoint?.close();
    await healthEndpoint?.close();
    // The services' last spans go out before the process ends; a collector that is gone only loses them.
    await tracing?.shutdown();
    await nc.drain();
  };
  try {
    // Up before the services, so a slow start answers liveness (and readiness: starting) meanwhile.
    const { port: healthPort, host: healthHost } = config.health;
    if (healthPort !== undefined) healthEndpoint = await startingStep(`serving health on ${healthHost}:${healthPort}`, () => serveHealth(health, healthHost, healthPort));
    await startingStep('provisioning', () => provisionWhatIsMissing(nc, names, config));
    const store = await startingStep('opening the event reader', () => openEventReader(nc, names));
    for (const service of services) {
      const logger = createLogger({ service: service.name, instance: config.instance, level: config.logLevel });
      running.push(await startingStep(`starting ${service.name}`, () => service.start({ nc, names, config, logger, store, metrics, ...(tracing ? { tracing } : {}) })));
    }
    const { port, host } = config.metrics;
    if (port !== undefined) endpoint = await startingStep(`serving metrics on ${host}:${port}`, () => serveMetrics(metrics, host, port));
    health.started();
  } catch (error) {
    // A host that fails to start leaves nothing running behind it: a caller may simply try again.
    await stop().catch(() => nc.close());
    throw error;
  }
  return { nc, names, metrics, metricsUrl: endpoint?.url, tracesUrl: tracing?.exportsTo, healthUrl: healthEndpoint?.url, stopGraceMs: config.stopGraceMs, stop };
}

/** Names the step a host failed in: a bare request timeout does not say which request. */
async function startingStep<T>(step: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProvisioningRefusedError) throw error;
    throw new Error(`${step}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Where a host hears the answers to its own requests: apart from `_INBOX.`, where task publishers are
 * answered, so a reply subject a publisher names can never reach the runtime's own requests; and one
 * prefix a service, so a least-privilege user may subscribe to its own alone (deploy/nats/).
 */
export function serviceInboxPrefix(label: string): string {
  return `_SBX_INBOX.${label}`;
}

/**
 * A host provisions only when something is missing, so services can run as NATS users that may not
 * manage JetStream once an admin has run `signalbox init`; on an open server it still makes everything.
 */
async function provisionWhatIsMissing(nc: NatsConnection, names: Naming, config: RuntimeConfig): Promise<void> {
  const missing = await missingProvisioning(nc, names);
  if (missing.length === 0) return;
  try {
    await provision(nc, names, { replicas: config.replicas, eventPartitions: config.eventPartitions });
  } catch (error) {
    if (!isPermissionDenied(error)) throw error;
    const message = `missing ${missing.join(', ')}, and this NATS user may not create them: run \`signalbox init\` as a user allowed to manage JetStream, then start again`;
    throw new ProvisioningRefusedError(message, missing, error);
  }
}

/** How a drain ended: in time, failed, or still running when the grace ran out. */
export type DrainOutcome = 'drained' | 'failed' | 'timed out';

/** Stops `host`, giving it `graceMs`; says how it went and never throws. */
export async function drainWithin(host: Pick<Host, 'stop'>, graceMs: number, logger: Logger): Promise<DrainOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<DrainOutcome>((resolve) => (timer = setTimeout(() => resolve('timed out'), graceMs)));
  const drained = host.stop().then(
    (): DrainOutcome => 'drained',
    (error: unknown): DrainOutcome => {
      logger.error({ err: error }, 'drain failed');
      return 'failed';
    },
  );
  const outcome = await Promise.race([drained, grace]).finally(() => clearTimeout(timer));
  // Work still held is redelivered to other replicas once its ack wait passes: nothing is lost, only late.
  if (outcome === 'timed out') logger.error({ graceMs }, 'in-flight work did not finish within the stop grace; exiting anyway');
  return outcome;
}

/**
 * SIGTERM or SIGINT drains the host once, within `host.stopGraceMs`: exits 0 when drained, 1 when the
 * drain failed or outran its grace; a second signal exits at once.
 */
export function stopOnSignals(host: Host, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal, graceMs: host.stopGraceMs }, 'draining');
    void drainWithin(host, host.stopGraceMs, logger).then((outcome) => process.exit(outcome === 'drained' ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
