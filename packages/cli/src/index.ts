export { ensureNats } from './local-nats.ts';
export type { LocalNats } from './local-nats.ts';
export { serviceCatalogue, servicesNamed } from './services.ts';
