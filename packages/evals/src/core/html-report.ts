import { counterfactualScores, type CounterfactualScore } from './counterfactual.ts';
import { outcomeQuality } from './detector-quality.ts';
import type { TaskTrajectories } from './divergence.ts';
import type { EvalRecord } from './record.ts';
import { configurationReports, type ConfigurationReport } from './report.ts';
import { escapeHtml, interventionTimingPlot, successCostPlot } from './svg-plots.ts';
import { dollars } from './table.ts';
import { configurationCells, configurationHeader, counterfactualCells, counterfactualHeader, outcomeQualityCells, outcomeQualityHeader } from './text-report.ts';

/** No script runs and nothing loads: the report is data, and it opens from a file. */
const policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; color: #111827; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: 0.3rem; }
.meta { color: #4b5563; } .plots { display: flex; flex-wrap: wrap; gap: 1.5rem; margin-top: 1rem; } figure { margin: 0; width: 540px; } figcaption { color: #4b5563; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; } th { background: #f9fafb; font-weight: 600; }
td.ok { color: #15803d; } td.fail { color: #b91c1c; } code { font-size: 0.85rem; }
svg text { font: 11px system-ui, sans-serif; } svg text:not([fill]) { fill: #374151; } svg .label { font-size: 12px; fill: #111827; } svg text.point { font-weight: 600; }
svg .grid { stroke: #e5e7eb; } svg .axis { stroke: #6b7280; }
`;

type Cell = string | { text: string; className: string };

function table(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (value: Cell) => (typeof value === 'string' ? `<td>${escapeHtml(value)}</td>` : `<td class="${value.className}">${escapeHtml(value.text)}</td>`);
  return `<table><thead><tr>${header.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

const text = (value: string): Cell => ({ text: value, className: 'text' });

function configurationsSection(reports: readonly ConfigurationReport[]): string {
  return `<h2>Configurations</h2>${table(configurationHeader, reports.map(configurationCells))}`;
}

function counterfactualSection(scores: readonly CounterfactualScore[]): string {
  const explained = '<p class="meta">Each run forked just before each intervention, hermetic, with that detector off. <b>Helped</b>: the run with it succeeded, the fork without it failed; <b>hurt</b>: the reverse. Recovery cost: what the run spent from the fork point on; failure cost: what the failed forks spent from there.</p>';
  return `<h2>Interventions against forks without them</h2>${explained}${scores.length === 0 ? '<p>No interventions.</p>' : table(counterfactualHeader, scores.map(counterfactualCells))}`;
}

function trajectoriesSection(tasks: readonly TaskTrajectories[]): string {
  const rows = tasks.flatMap((task) =>
    task.divergences.slice(0, 5).map((point) => [text(task.task), String(point.pairs), String(point.step), text(point.succeeded), text(point.failed)]),
  );
  const sides = tasks.flatMap((task) => task.detectors.map((side) => [text(task.task), side.detector, `${side.onSuccesses} of ${task.successes}`, `${side.onFailures} of ${task.failures}`]));
  return `<h2>Where successful and failed runs part</h2>${rows.length === 0 ? '<p>No task had both a success and a failure.</p>' : table(['task', 'pairs', 'at turn', 'the run that succeeded', 'the run that failed'], rows)}${sides.length === 0 ? '' : table(['task', 'detector', 'fired in successes', 'fired in failures'], sides)}`;
}

function runsSection(record: EvalRecord): string {
  const rows = record.runs.map((run) => [
    text(run.configuration),
    text(run.task),
    String(run.repeat + 1),
    { text: run.success ? 'success' : run.status, className: run.success ? 'ok' : 'fail' },
    dollars(run.costUsd),
    String(run.steps),
    run.interventions.map((intervention) => `${intervention.detector}/${intervention.action}`).join(', ') || '-',
    text(run.sessionId),
    text(run.failures.join('; ')),
  ]);
  return `<h2>Runs</h2>${table(['configuration', 'task', 'repeat', 'outcome', 'cost', 'steps', 'interventions', 'session', 'why not a success'], rows)}`;
}

/** The run of an eval as one HTML file: inline CSS and SVG, no script, nothing fetched; every string from a run escaped. */
export function htmlReport(record: EvalRecord): string {
  const reports = configurationReports(record.suite.configurations.map((configuration) => configuration.name), record.runs);
  const interventions = record.runs.flatMap((run) => run.interventions);
  const byOutcome = outcomeQuality(record.runs);
  const when = `${new Date(record.startedAt).toISOString()}${record.finishedAt ? ` to ${new Date(record.finishedAt).toISOString()}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}">
<title>${escapeHtml(`eval ${record.suite.name} ${record.id}`)}</title><style>${style}</style></head>
<body>
<h1>Eval: ${escapeHtml(record.suite.name)}</h1>
<p class="meta">${escapeHtml(record.suite.description ?? '')}</p>
<p class="meta">run <code>${escapeHtml(record.id)}</code> · ${escapeHtml(record.status)} · ${record.runs.length} runs, ${record.forks.length} forks · ${escapeHtml(when)}</p>
${configurationsSection(reports)}
<div class="plots"><figure>${successCostPlot(reports)}<figcaption>Success against cost, a point per configuration; the bar is the Wilson 95% interval.</figcaption></figure>
<figure>${interventionTimingPlot(interventions)}<figcaption>Intervention timing: turns and seconds from the first evidence to the intervention.</figcaption></figure></div>
${record.suite.counterfactual ? counterfactualSection(counterfactualScores(record.runs, record.forks)) : ''}
${byOutcome.length === 0 ? '' : `<h2>Detectors against the runs' outcomes</h2>${table(outcomeQualityHeader, byOutcome.map(outcomeQualityCells))}`}
${trajectoriesSection(record.trajectories)}
${runsSection(record)}
</body></html>
`;
}
