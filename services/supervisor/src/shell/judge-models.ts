import type { ModelLookup, ResolvedModel } from '@signalbox/models';

/** A judge's model: the adapter to call, the model's name as its provider knows it, and what a reply's usage costs. */
export type JudgeModel = ResolvedModel;

/** Finds the model an agent's `supervision.judge.model` names (`<provider>/<model>`); throws a ModelError when it cannot. */
export type JudgeModels = ModelLookup;
