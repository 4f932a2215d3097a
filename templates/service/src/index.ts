export { toolDeadlineService } from './service.ts';
export type { ToolDeadlineOptions } from './service.ts';
