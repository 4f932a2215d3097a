export { defineGrader } from './core/function-grader.ts';
export type { FunctionVerdict, GraderDefinition, SubmittedContent, Submission } from './core/function-grader.ts';
export { graderService } from './service.ts';
export type { GraderOptions } from './service.ts';
export type { GraderModels } from './shell/grader-models.ts';
