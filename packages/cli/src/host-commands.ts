import { fileURLToPath } from 'node:url';
import { configFromEnv, createLogger, maskNatsUrl, maskUrlsIn, readEnvironment, startHost, stopOnSignals } from '@signalbox/runtime';
import { natsAuthOf, natsUrlOf, type GlobalOptions } from './connection.ts';
import { provisionAt } from './init.ts';
import { credentialsFor, ensureNats, stopLocalNats, type LocalNats } from './local-nats.ts';
import { serviceCatalogue, servicesNamed } from './services.ts';

/** Where `up` and `demo` keep the data of a nats-server they start themselves. */
export const localDataDir = fileURLToPath(new URL('../../../.data/nats', import.meta.url));

/** `signalbox up`: every service in this process, with a local nats-server when none is reachable. */
export async function up(options: GlobalOptions): Promise<void> {
  const nats = await ensureNats(options.nats ?? readEnvironment().NATS_URL, localDataDir, { auth: natsAuthOf(options) });
  await provisionAt(options, nats.url, credentialsFor(nats, natsAuthOf(options)));
  await serve(options, nats, Object.keys(serviceCatalogue));
}

/** `signalbox run <service...>`: some services in this process; start as many processes as you like. */
export async function run(options: GlobalOptions, services: string[]): Promise<void> {
  await serve(options, { url: natsUrlOf(options) }, services);
}

async function serve(options: GlobalOptions, nats: LocalNats, services: string[]): Promise<void> {
  const config = { ...configFromEnv(), natsUrl: nats.url, natsAuth: credentialsFor(nats, natsAuthOf(options)), prefix: options.prefix };
  const logger = createLogger({ service: 'signalbox', instance: config.instance, level: config.logLevel });
  const host = await startHost(servicesNamed(services), config);
  if (nats.notice) logger.warn(nats.notice);
  logger.info({ services, nats: maskNatsUrl(nats.url), startedNats: Boolean(nats.child), ...(host.metricsUrl ? { metrics: host.metricsUrl } : {}), ...(host.healthUrl ? { health: host.healthUrl } : {}), ...(host.tracesUrl ? { traces: maskUrlsIn(host.tracesUrl) } : {}) }, 'signalbox is up');
  // A nats-server started for this process goes when the services have drained.
  stopOnSignals({ ...host, stop: () => host.stop().finally(() => stopLocalNats(nats)) }, logger);
}
