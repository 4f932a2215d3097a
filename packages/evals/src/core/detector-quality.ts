import type { SupervisionConfig } from '@signalbox/events';
import { initialSupervision, superviseEvent, type Detector } from '@signalbox/supervision';
import { trajectoryLog, type LabelledTrajectory } from './labelled.ts';
import { mean } from './report.ts';
import type { RunResult } from './run-outcome.ts';

/** A finding on an imported trajectory, in steps: from its first evidence to the step it fired at. */
export interface StepFinding {
  detector: string;
  firstStep: number;
  firedAt: number;
}

/** What the detectors find in a trajectory, folded event by event as the supervisor folds a session. */
export function findingsIn(trajectory: LabelledTrajectory, options: { config?: SupervisionConfig; detectors?: readonly Detector[] } = {}): StepFinding[] {
  const { events, stepOf } = trajectoryLog(trajectory);
  let state = initialSupervision(options);
  const found: StepFinding[] = [];
  for (const event of events) {
    const step = superviseEvent(state, event);
    state = step.state;
    for (const finding of step.findings) {
      const firedAt = stepOf(event.n) ?? trajectory.steps.length - 1;
      found.push({ detector: finding.detector, firstStep: stepOf(Math.min(...finding.evidence)) ?? firedAt, firedAt });
    }
  }
  return found;
}

/** One detector's precision and recall over labelled spans. */
export interface SpanQuality {
  detector: string;
  findings: number;
  /** Findings that overlap a span labelled with the detector's failure mode. */
  truePositives: number;
  spans: number;
  /** Labelled spans some finding of the detector overlaps. */
  spansFound: number;
  precision: number | undefined;
  recall: number | undefined;
  /** For the spans found, steps from the span's first step to the first overlapping finding's firing. */
  meanStepsToDetect: number | undefined;
}

const overlaps = (finding: StepFinding, span: { firstStep: number; lastStep: number }) => finding.firstStep <= span.lastStep && finding.firedAt >= span.firstStep;

/**
 * Each detector (every one that found something or is named by a label) scored on the trajectories:
 * a finding is right when it overlaps a span labelled with its name; a span is found when some
 * finding of its mode overlaps it. Precision is undefined with no findings, recall with no spans.
 */
export function spanQuality(scored: readonly { trajectory: LabelledTrajectory; findings: readonly StepFinding[] }[]): SpanQuality[] {
  const detectors = [...new Set(scored.flatMap(({ trajectory, findings }) => [...findings.map((finding) => finding.detector), ...trajectory.labels.map((span) => span.failureMode)]))].sort();
  return detectors.map((detector) => {
    let [findings, truePositives, spans, spansFound] = [0, 0, 0, 0];
    const delays: number[] = [];
    for (const { trajectory, findings: found } of scored) {
      const own = found.filter((finding) => finding.detector === detector);
      const labelled = trajectory.labels.filter((span) => span.failureMode === detector);
      findings += own.length;
      truePositives += own.filter((finding) => labelled.some((span) => overlaps(finding, span))).length;
      spans += labelled.length;
      for (const span of labelled) {
        const first = own.filter((finding) => overlaps(finding, span)).sort((a, b) => a.firedAt - b.firedAt)[0];
        if (!first) continue;
        spansFound += 1;
        delays.push(Math.max(0, first.firedAt - span.firstStep));
      }
    }
    return {
      detector,
      findings,
      truePositives,
      spans,
      spansFound,
      precision: findings === 0 ? undefined : truePositives / findings,
      recall: spans === 0 ? undefined : spansFound / spans,
      meanStepsToDetect: delays.length === 0 ? undefined : mean(delays),
    };
  });
}

/** One detector judged by the runs' outcomes: a run that failed is the positive it should have caught. */
export interface OutcomeQuality {
  detector: string;
  /** Failed runs it intervened in. */
  firedOnFailures: number;
  /** Runs that succeeded that it intervened in all the same. */
  firedOnSuccesses: number;
  failures: number;
  precision: number | undefined;
  recall: number | undefined;
}

/**
 * Each detector that intervened in any run, scored on runs labelled by their grades and checks: it
 * should fire on the runs that failed and keep quiet on those that succeeded. A run counts once per
 * detector however often it fired.
 */
export function outcomeQuality(runs: readonly RunResult[]): OutcomeQuality[] {
  const detectors = [...new Set(runs.flatMap((run) => run.interventions.map((intervention) => intervention.detector)))].sort();
  const failures = runs.filter((run) => !run.success).length;
  return detectors.map((detector) => {
    const fired = runs.filter((run) => run.interventions.some((intervention) => intervention.detector === detector));
    const firedOnFailures = fired.filter((run) => !run.success).length;
    return {
      detector,
      firedOnFailures,
      firedOnSuccesses: fired.length - firedOnFailures,
      failures,
      precision: fired.length === 0 ? undefined : firedOnFailures / fired.length,
      recall: failures === 0 ? undefined : firedOnFailures / failures,
    };
  });
}
