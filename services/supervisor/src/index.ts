export { supervisorService } from './service.ts';
export type { SupervisorOptions } from './service.ts';
