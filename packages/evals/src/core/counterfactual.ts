import type { SessionEvent, SupervisionConfig } from '@signalbox/events';
import { totalsOf } from '@signalbox/session';
import type { ForkRecord } from './record.ts';
import { mean } from './report.ts';
import type { RunResult } from './run-outcome.ts';

/** Detectors with a field of their own in `supervision`; any other is one defined in TypeScript, under `detectors`. */
const builtInDetectors = new Set(['repetition', 'no_progress', 'error_spiral', 'waste', 'judge', 'stalled']);

/**
 * The agent's supervision with `detector` off and all else as it was: what a fork runs under to show
 * what the run would have done without that detector's intervention (left on, it would fire again).
 */
export function supervisionWithout(supervision: SupervisionConfig | undefined, detector: string): SupervisionConfig {
  if (supervision === false) return false;
  const config = supervision ?? {};
  if (builtInDetectors.has(detector)) {
    const current = (config as Record<string, unknown>)[detector];
    return { ...config, [detector]: { ...(typeof current === 'object' ? current : {}), enabled: false } };
  }
  return { ...config, detectors: { ...config.detectors, [detector]: { ...config.detectors?.[detector], enabled: false } } };
}

/** What the run had spent, and the model turns it had taken, before event `n`: the fork's prefix, the same for it and for the run. */
export function spentBefore(events: readonly SessionEvent[], n: number): { costUsd: number; steps: number } {
  const { costUsd, steps } = totalsOf(events.filter((event) => event.n < n));
  return { costUsd, steps };
}

/** Per detector and action: what its interventions changed, by the runs forked without it. */
export interface CounterfactualScore {
  detector: string;
  action: string;
  interventions: number;
  forks: number;
  /** Forks that failed where the run with the intervention succeeded: it helped. */
  helped: number;
  /** Forks that succeeded where the run with the intervention failed: it hurt. */
  hurt: number;
  bothSucceeded: number;
  bothFailed: number;
  /** What the run spent from the fork point on, with the intervention: the recovery's cost. */
  meanRecoveryCostUsd: number;
  /** What the forks that failed spent from the fork point on: the failure the intervention avoided. Undefined when none failed. */
  meanFailureCostUsd: number | undefined;
  /** The same in model turns: a scripted model's calls cost nothing, its steps still count. */
  meanRecoverySteps: number;
  meanFailureSteps: number | undefined;
  /** From the first evidence to the intervention, over the interventions that name theirs. */
  meanStepsToIntervene: number | undefined;
  meanSecondsToIntervene: number | undefined;
}

/** Each run's interventions paired with their forks, scored by detector and action (in the order first seen). */
export function counterfactualScores(runs: readonly RunResult[], forks: readonly ForkRecord[]): CounterfactualScore[] {
  const groups = new Map<string, { detector: string; action: string; pairs: { run: RunResult; n: number; timing: RunResult['interventions'][number]['timing']; forks: ForkRecord[] }[] }>();
  for (const run of runs) {
    for (const intervention of run.interventions) {
      const key = `${intervention.detector}/${intervention.action}`;
      const group = groups.get(key) ?? { detector: intervention.detector, action: intervention.action, pairs: [] };
      group.pairs.push({ run, n: intervention.n, timing: intervention.timing, forks: forks.filter((fork) => fork.forkOf === run.sessionId && fork.interventionN === intervention.n) });
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ detector, action, pairs }) => {
    const paired = pairs.flatMap(({ run, forks: forksOfIt }) => forksOfIt.map((fork) => ({ run, fork })));
    const failedForks = paired.filter(({ fork }) => !fork.success);
    const timings = pairs.flatMap(({ timing }) => (timing ? [timing] : []));
    return {
      detector,
      action,
      interventions: pairs.length,
      forks: paired.length,
      helped: paired.filter(({ run, fork }) => run.success && !fork.success).length,
      hurt: paired.filter(({ run, fork }) => !run.success && fork.success).length,
      bothSucceeded: paired.filter(({ run, fork }) => run.success && fork.success).length,
      bothFailed: paired.filter(({ run, fork }) => !run.success && !fork.success).length,
      meanRecoveryCostUsd: mean(paired.map(({ run, fork }) => run.costUsd - fork.costAtForkUsd)),
      meanFailureCostUsd: failedForks.length === 0 ? undefined : mean(failedForks.map(({ fork }) => fork.costUsd - fork.costAtForkUsd)),
      meanRecoverySteps: mean(paired.map(({ run, fork }) => run.steps - fork.stepsAtFork)),
      meanFailureSteps: failedForks.length === 0 ? undefined : mean(failedForks.map(({ fork }) => fork.steps - fork.stepsAtFork)),
      meanStepsToIntervene: timings.length === 0 ? undefined : mean(timings.map((timing) => timing.steps)),
      meanSecondsToIntervene: timings.length === 0 ? undefined : mean(timings.map((timing) => timing.seconds)),
    };
  });
}
