export { doctor } from './doctor.ts';
export type { DoctorFlags, DoctorOutput } from './doctor.ts';
export { credentialsFor, ensureNats } from './local-nats.ts';
export type { EnsureNatsOptions, LocalNats } from './local-nats.ts';
export { replayTimeline } from './replay-timeline.ts';
export type { ReplayOptions } from './replay-timeline.ts';
export { serviceCatalogue, servicesNamed } from './services.ts';
export { formatEvent } from './timeline.ts';
export type { TimelineView } from './timeline.ts';
