import { counterfactualScores, type CounterfactualScore } from './counterfactual.ts';
import { outcomeQuality, type OutcomeQuality, type SpanQuality } from './detector-quality.ts';
import type { TaskTrajectories } from './divergence.ts';
import type { EvalRecord } from './record.ts';
import { configurationReports, type ConfigurationReport } from './report.ts';
import { dollars, percent, seconds, textTable } from './table.ts';

/** A run of an eval as the terminal shows it: a table per configuration, then the interventions' counterfactuals when it forked any. */
export function formatEvalRecord(record: EvalRecord): string {
  const reports = configurationReports(record.suite.configurations.map((configuration) => configuration.name), record.runs);
  const parts = [`eval ${record.id} (${record.suite.name}): ${record.runs.length} runs, ${record.status}`, '', configurationTable(reports)];
  if (record.suite.counterfactual) parts.push('', 'interventions, against forks without them:', '', counterfactualTable(counterfactualScores(record.runs, record.forks)));
  const parting = record.trajectories.filter((task) => task.pairs > 0);
  if (parting.length > 0) parts.push('', 'where successful and failed runs part (first divergence, by pairs of runs):', '', ...parting.map(trajectoriesText));
  const byOutcome = outcomeQuality(record.runs);
  if (byOutcome.length > 0) parts.push('', "detectors, against the runs' outcomes (a failed run is one to catch):", '', outcomeQualityTable(byOutcome));
  return parts.join('\n');
}

/** The configuration table's header and cells, shared by the terminal's table and the HTML report's. */
export const configurationHeader = ['configuration', 'runs', 'success', '95% CI', 'grade', 'cost a run', 'steps', 'duration', 'interventions', 'approvals'];

export function configurationCells(report: ConfigurationReport): string[] {
  return [
    report.configuration,
    String(report.runs),
    percent(report.successRate),
    `${percent(report.interval.low)}-${percent(report.interval.high)}`,
    report.meanGrade === undefined ? '-' : report.meanGrade.toFixed(2),
    dollars(report.meanCostUsd),
    report.meanSteps.toFixed(1),
    seconds(report.meanDurationMs),
    String(report.interventions),
    String(report.approvals),
  ];
}

export function configurationTable(reports: readonly ConfigurationReport[]): string {
  return textTable(configurationHeader, reports.map(configurationCells));
}

/** The counterfactual table's header and cells, shared by the terminal's table and the HTML report's. */
export const counterfactualHeader = ['detector/action', 'interventions', 'forks', 'helped', 'hurt', 'both ok', 'both failed', 'recovery cost', 'failure cost', 'turns to act', 'seconds to act'];

export function counterfactualCells(score: CounterfactualScore): string[] {
  return [
    `${score.detector}/${score.action}`,
    String(score.interventions),
    String(score.forks),
    String(score.helped),
    String(score.hurt),
    String(score.bothSucceeded),
    String(score.bothFailed),
    `${dollars(score.meanRecoveryCostUsd)} (${score.meanRecoverySteps.toFixed(1)} turns)`,
    score.meanFailureCostUsd === undefined ? '-' : `${dollars(score.meanFailureCostUsd)} (${(score.meanFailureSteps ?? 0).toFixed(1)} turns)`,
    score.meanStepsToIntervene === undefined ? '-' : score.meanStepsToIntervene.toFixed(1),
    score.meanSecondsToIntervene === undefined ? '-' : score.meanSecondsToIntervene.toFixed(2),
  ];
}

export function counterfactualTable(scores: readonly CounterfactualScore[]): string {
  if (scores.length === 0) return '(no interventions)';
  return textTable(counterfactualHeader, scores.map(counterfactualCells));
}

export const ratio = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));

/** The outcome-quality table's header and cells, shared by the terminal's table and the HTML report's. */
export const outcomeQualityHeader = ['detector', 'fired on failures', 'fired on successes', 'failed runs', 'precision', 'recall'];

export function outcomeQualityCells(score: OutcomeQuality): string[] {
  return [score.detector, String(score.firedOnFailures), String(score.firedOnSuccesses), String(score.failures), ratio(score.precision), ratio(score.recall)];
}

export function outcomeQualityTable(scores: readonly OutcomeQuality[]): string {
  return textTable(outcomeQualityHeader, scores.map(outcomeQualityCells));
}

export function spanQualityTable(scores: readonly SpanQuality[]): string {
  if (scores.length === 0) return '(no findings and no labels)';
  const header = ['detector', 'findings', 'right', 'spans', 'found', 'precision', 'recall', 'steps to detect'];
  const rows = scores.map((score) => [
    score.detector,
    String(score.findings),
    String(score.truePositives),
    String(score.spans),
    String(score.spansFound),
    ratio(score.precision),
    ratio(score.recall),
    score.meanStepsToDetect === undefined ? '-' : score.meanStepsToDetect.toFixed(1),
  ]);
  return textTable(header, rows);
}

/** A task's commonest partings (three at most) and the detectors on each side. */
export function trajectoriesText(task: TaskTrajectories): string {
  const lines = [`${task.task}: ${task.successes} succeeded, ${task.failures} failed, ${task.pairs} pairs`];
  for (const point of task.divergences.slice(0, 3)) lines.push(`  ${point.pairs}× at step ${point.step}: succeeded → ${point.succeeded}; failed → ${point.failed}`);
  for (const side of task.detectors) lines.push(`  ${side.detector} fired in ${side.onSuccesses} of the successes, ${side.onFailures} of the failures`);
  return lines.join('\n');
}
