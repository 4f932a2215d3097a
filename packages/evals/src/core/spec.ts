import type { ForkRecord } from './record.ts';
import type { RunResult } from './run-outcome.ts';

/** A run's result with every field at a plain default: a test gives the ones it is about. */
export function run(fields: Partial<RunResult> = {}): RunResult {
  return {
    task: 't',
    configuration: 'c',
    repeat: 0,
    sessionId: 's',
    status: 'succeeded',
    success: true,
    failures: [],
    costUsd: 0,
    steps: 1,
    toolCalls: 0,
    durationMs: 1_000,
    interventions: [],
    approvals: 0,
    ...fields,
  };
}

/** A fork of run `forkOf` at its intervention `interventionN`. */
export function fork(forkOf: string, interventionN: number, fields: Partial<ForkRecord> = {}): ForkRecord {
  return { ...run({ sessionId: `${forkOf}-fork` }), forkOf, interventionN, costAtForkUsd: 0, stepsAtFork: 0, ...fields };
}

/** A nudge by `detector` at event `n`. */
export const nudge = (n: number, detector = 'repetition', timing = { steps: 1, seconds: 2 }) => ({ n, at: n * 1_000, detector, action: 'nudge', evidence: [n - 4], timing });
