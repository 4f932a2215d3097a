export { ensureNats } from './local-nats.ts';
export type { LocalNats } from './local-nats.ts';
export { replayTimeline } from './replay-timeline.ts';
export type { ReplayOptions } from './replay-timeline.ts';
export { serviceCatalogue, servicesNamed } from './services.ts';
export { formatEvent } from './timeline.ts';
export type { TimelineView } from './timeline.ts';
