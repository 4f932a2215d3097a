export { SignalboxClient } from './client.ts';
export type { SubmitOptions } from './client.ts';
export { formatEvent, summarise } from './timeline.ts';
export type { SessionSummary } from './timeline.ts';
