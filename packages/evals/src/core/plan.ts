import type { EvalSuite } from './suite.ts';

/** A run the eval will start: its session id is chosen before it starts, so the record names it from the first. */
export interface PlannedRun {
  sessionId: string;
  task: string;
  configuration: string;
  repeat: number;
}

/**
 * Every task under every configuration, `repeats` times: repeat by repeat, and within a task the
 * configurations side by side, so a slow minute of the machine falls on all of them alike.
 */
export function planRuns(suite: Pick<EvalSuite, 'tasks' | 'configurations' | 'repeats'>, newId: () => string): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (let repeat = 0; repeat < suite.repeats; repeat++) {
    for (const task of suite.tasks) {
      for (const configuration of suite.configurations) plan.push({ sessionId: newId(), task: task.name, configuration: configuration.name, repeat });
    }
  }
  return plan;
}

/**
 * The metadata every session of an eval run carries. The memory consolidator skips sessions tagged
 * `eval` unless the suite asked to feed memory (`eval.memory: feed`) or a store reads by the tag.
 */
export function evalTags(evalId: string, run: Omit<PlannedRun, 'sessionId'>, feedMemory = false): Record<string, string> {
  return { eval: evalId, 'eval.task': run.task, 'eval.configuration': run.configuration, 'eval.repeat': String(run.repeat), ...(feedMemory ? { 'eval.memory': 'feed' } : {}) };
}
