export { supervisorService } from './service.ts';
export type { SupervisorOptions } from './service.ts';
export type { JudgeModel, JudgeModels } from './shell/judge-models.ts';
