import type { ModelLookup, ResolvedModel } from '@signalbox/models';

/** A grader model: the adapter to call, the model's name as its provider knows it, and what a reply's usage costs. */
export type GraderModelEntry = ResolvedModel;

/** Finds the model a grade job names (`<provider>/<model>`); throws (a ModelError) when it cannot. */
export type GraderModels = ModelLookup;
