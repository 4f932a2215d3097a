import { superviseLog, type Finding } from '@signalbox/supervision';
import { describe, expect, it } from 'vitest';
import { labelledTrajectories, trajectoriesFolder, trajectoryEvents, type TrajectoryLabels } from './trajectory-events.ts';

const trajectories = labelledTrajectories();
const labelled = ['repetition', 'error_spiral', 'no_progress'] as const;
type Labelled = (typeof labelled)[number];

interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  precision: number;
  recall: number;
}

function score(results: { labels: TrajectoryLabels; findings: Finding[] }[], detector: Labelled): Score {
  const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
  for (const { labels, findings } of results) {
    const found = findings.some((finding) => finding.detector === detector);
    if (found && labels[detector]) counts.truePositives += 1;
    else if (found) counts.falsePositives += 1;
    else if (labels[detector]) counts.falseNegatives += 1;
    else counts.trueNegatives += 1;
  }
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = counts;
  return { ...counts, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

function table(scores: Record<Labelled, Score>): string {
  const rows = labelled.map((detector) => {
    const { truePositives, falsePositives, falseNegatives, trueNegatives, precision, recall } = scores[detector];
    return `| ${detector} | ${truePositives} | ${falsePositives} | ${falseNegatives} | ${trueNegatives} | ${precision.toFixed(2)} | ${recall.toFixed(2)} |`;
  });
  return ['| detector | TP | FP | FN | TN | precision | recall |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

// Skipped where ../shared/trajectories is absent: the labelled trajectories are other people's data,
// read from beside the repository and never copied into it, so a clone elsewhere has none to score.
describe.skipIf(trajectories.length === 0)(`real agent trajectories (${trajectoriesFolder}; skipped where that folder is absent)`, () => {
  const results = trajectories.map(({ file, trajectory, labels }) => {
    const { events, stepOf } = trajectoryEvents(trajectory);
    const { findings } = superviseLog(events);
    return { file, labels, findings, stepOf };
  });

  it('the default detectors find the labelled loops, spirals and stretches without progress', ({ annotate }) => {
    const scores = Object.fromEntries(labelled.map((detector) => [detector, score(results, detector)])) as Record<Labelled, Score>;
    // Shown by the verbose reporter (`vitest run test/supervision --reporter=verbose`) and in the JSON report.
    void annotate(`${trajectories.length} trajectories, default config\n${table(scores)}`, 'precision and recall');
    // Floors a little under what the defaults reached when they were set (NOTES.md has the figures).
    expect(scores.repetition.recall).toBeGreaterThanOrEqual(0.8);
    expect(scores.repetition.precision).toBeGreaterThanOrEqual(0.9);
    expect(scores.error_spiral.recall).toBeGreaterThanOrEqual(0.7);
    expect(scores.error_spiral.precision).toBeGreaterThanOrEqual(0.8);
    expect(scores.no_progress.recall).toBeGreaterThanOrEqual(0.6);
    expect(scores.no_progress.precision).toBeGreaterThanOrEqual(0.9);
  });

  it('a repetition found in a labelled loop names the labelled first step as its first evidence, or one of the next two', ({ annotate }) => {
    const offsets = results.flatMap(({ labels, findings, stepOf }) => {
      const first = findings.find((finding) => finding.detector === 'repetition');
      if (!labels.repetition || first === undefined || labels.repetition_first_step === null) return [];
      return [(stepOf(first.evidence[0] as number) ?? Number.NaN) - labels.repetition_first_step];
    });
    void annotate(`first evidence minus labelled first step: ${offsets.join(', ')}`, 'where loops start');
    expect(offsets.length).toBeGreaterThan(0);
    for (const offset of offsets) expect(offset).toBeGreaterThanOrEqual(0);
    for (const offset of offsets) expect(offset).toBeLessThanOrEqual(2);
  });

  it('a healthy run and a loop from the set, one each, are told apart', () => {
    const byFile = new Map(results.map((result) => [result.file, result.findings]));
    expect(byFile.get('swe-claude4sonnet__sympy__sympy-13372.json')).toEqual([]);
    expect(byFile.get('swe-lm32b__mwaskom__seaborn-3187.json')?.map((finding) => finding.detector).sort()).toEqual(['no_progress', 'repetition']);
  });
});

describe('the trajectory reader', () => {
  it('reads none where the folder is absent, so the evaluation skips instead of failing', () => {
    expect(labelledTrajectories(`${trajectoriesFolder}does-not-exist`)).toEqual([]);
  });
});
