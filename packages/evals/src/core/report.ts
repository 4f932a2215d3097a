import type { RunResult } from './run-outcome.ts';
import { wilsonInterval, type Interval } from './wilson.ts';

/** What one configuration's runs came to, over every task and repeat. */
export interface ConfigurationReport {
  configuration: string;
  runs: number;
  successes: number;
  successRate: number;
  /** The success rate's Wilson 95% interval. */
  interval: Interval;
  /** Mean of the graded runs' last grades; undefined when none was graded. */
  meanGrade: number | undefined;
  meanCostUsd: number;
  totalCostUsd: number;
  meanSteps: number;
  meanDurationMs: number;
  interventions: number;
  /** Interventions by `detector/action`. */
  interventionsBy: Record<string, number>;
  approvals: number;
}

/** Each configuration's report, in the order given (one with no runs reports zeros and the whole interval). */
export function configurationReports(configurations: readonly string[], runs: readonly RunResult[]): ConfigurationReport[] {
  return configurations.map((configuration) => reportOf(configuration, runs.filter((run) => run.configuration === configuration)));
}

function reportOf(configuration: string, runs: readonly RunResult[]): ConfigurationReport {
  const successes = runs.filter((run) => run.success).length;
  const grades = runs.flatMap((run) => (run.grade === undefined ? [] : [run.grade]));
  const interventionsBy: Record<string, number> = {};
  for (const intervention of runs.flatMap((run) => run.interventions)) {
    const key = `${intervention.detector}/${intervention.action}`;
    interventionsBy[key] = (interventionsBy[key] ?? 0) + 1;
  }
  return {
    configuration,
    runs: runs.length,
    successes,
    successRate: runs.length === 0 ? 0 : successes / runs.length,
    interval: wilsonInterval(successes, runs.length),
    meanGrade: grades.length === 0 ? undefined : mean(grades),
    meanCostUsd: mean(runs.map((run) => run.costUsd)),
    totalCostUsd: sum(runs.map((run) => run.costUsd)),
    meanSteps: mean(runs.map((run) => run.steps)),
    meanDurationMs: mean(runs.map((run) => run.durationMs)),
    interventions: sum(Object.values(interventionsBy)),
    interventionsBy,
    approvals: sum(runs.map((run) => run.approvals)),
  };
}

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
export const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : sum(values) / values.length);
