import { findingsIn, parseLabelledTrajectories, spanQuality, type SpanQuality } from '@signalbox/evals';
import { describe, expect, it } from 'vitest';
import { labelledTrajectories, trajectoriesFolder, writes, type LabelledTrajectory as SharedTrajectory } from './trajectory-events.ts';

/**
 * The shared labelled trajectories, converted to Signalbox's own import format (docs/labelled-trajectories.md)
 * and scored by `@signalbox/evals` as `signalbox eval --trajectories` scores a file: per detector,
 * precision over its findings and recall over the labelled spans. The conversion lives here, beside
 * the data's own reader: neither the data nor its format enters the package.
 */
const shared = labelledTrajectories();

/** Their labels are per trajectory; as spans: a loop from its labelled first step, a spiral or a stretch without progress anywhere in the run. */
function converted({ file, trajectory, labels }: SharedTrajectory): string {
  const steps = trajectory.steps.filter((step) => step.tool !== 'none');
  const last = steps.length - 1;
  const spans = [
    ...(labels.repetition ? [{ failureMode: 'repetition', firstStep: Math.min(labels.repetition_first_step ?? 0, last), lastStep: last }] : []),
    ...(labels.error_spiral ? [{ failureMode: 'error_spiral', firstStep: 0, lastStep: last }] : []),
    ...(labels.no_progress ? [{ failureMode: 'no_progress', firstStep: 0, lastStep: last }] : []),
  ];
  return JSON.stringify({
    format: 'signalbox.labelled-trajectory/1',
    name: file,
    task: trajectory.task,
    steps: steps.map((step) => ({ tool: step.tool, input: inputOf(step.input), output: step.output, error: step.error, changesState: writes(step), ...(step.thought ? { thought: step.thought } : {}) })),
    labels: spans,
  });
}

function inputOf(input: string): string | Record<string, unknown> {
  if (!input.startsWith('{')) return input;
  try {
    return JSON.parse(input) as Record<string, unknown>;
  } catch {
    return input; // cut at 500 characters: not JSON any more
  }
}

const table = (scores: readonly SpanQuality[]) =>
  ['| detector | findings | right | spans | found | precision | recall | steps to detect |', '|---|---|---|---|---|---|---|---|']
    .concat(scores.map((score) => `| ${score.detector} | ${score.findings} | ${score.truePositives} | ${score.spans} | ${score.spansFound} | ${score.precision?.toFixed(2) ?? '-'} | ${score.recall?.toFixed(2) ?? '-'} | ${score.meanStepsToDetect?.toFixed(1) ?? '-'} |`))
    .join('\n');

describe.skipIf(shared.length === 0)(`the shared trajectories in Signalbox's import format (${trajectoriesFolder}; skipped where that folder is absent)`, () => {
  it('imports every one, and scores the default detectors on the labelled spans', ({ annotate }) => {
    const trajectories = parseLabelledTrajectories(shared.map(converted).join('\n'), 'shared trajectories');
    expect(trajectories).toHaveLength(shared.length);
    const scores = spanQuality(trajectories.map((trajectory) => ({ trajectory, findings: findingsIn(trajectory) })));
    void annotate(`${trajectories.length} trajectories, default config, by span\n${table(scores)}`, 'span precision and recall');
    const by = Object.fromEntries(scores.map((score) => [score.detector, score]));
    // Floors a little under what the defaults reached here (the handoff has the figures).
    expect(by['repetition']?.recall).toBeGreaterThanOrEqual(0.8);
    expect(by['repetition']?.precision).toBeGreaterThanOrEqual(0.8);
    expect(by['error_spiral']?.recall).toBeGreaterThanOrEqual(0.7);
    expect(by['no_progress']?.recall).toBeGreaterThanOrEqual(0.6);
  });
});
