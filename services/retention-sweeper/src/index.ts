export { retentionSweeperService } from './service.ts';
export type { RetentionSweeperOptions } from './service.ts';
