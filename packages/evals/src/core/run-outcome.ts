import type { SessionEvent } from '@signalbox/events';
import { totalsOf } from '@signalbox/session';
import { RE2JS } from 're2js';
import type { EvalTask, TaskCheck } from './suite.ts';
import { approvalsIn, interventionsIn } from './interventions.ts';
import type { RunRecord } from './record.ts';

/** Where a run sits in the suite: its task, configuration and repeat. */
export interface RunKey {
  task: string;
  configuration: string;
  repeat: number;
}

/** How a run ended, as the eval sees it: paused (by its budget, a supervisor, a grade it could not get) and timed out end it too. */
export type RunStatus = RunRecord['status'];

/** What one run came to: the numbers the report adds up (the shape the eval's record keeps). */
export type RunResult = RunRecord;

/**
 * The run's result from its log as far as it got: one neither completed nor paused is one the eval stopped
 * waiting for. A run the supervisor rewound ends aborted naming its fork, which carries the run on: given
 * those forks' logs (`rewinds`, in order), the run is judged where the last one ended, and costs what the
 * run spent plus what each fork spent past the prefix it copied.
 */
export function runResult(key: RunKey, sessionId: string, events: readonly SessionEvent[], task: Pick<EvalTask, 'checks'>, rewinds: readonly (readonly SessionEvent[])[] = []): RunResult {
  const ending = rewinds.at(-1) ?? events;
  const status = statusOf(ending);
  const completed = ending.findLast((event) => event.type === 'session.completed');
  const output = completed?.type === 'session.completed' ? completed.data.output : undefined;
  const grades = ending.flatMap((event) => (event.type === 'outcome.graded' ? [event.data] : []));
  const lastGrade = grades.at(-1);
  const failures = [
    ...(status === 'succeeded' ? [] : [`ended ${status}`]),
    ...(lastGrade && !lastGrade.passed ? [`failed its grade (${lastGrade.score.toFixed(2)})`] : []),
    ...task.checks.flatMap((check) => checkFailure(check, output)),
  ];
  const totals = rewinds.reduce((sum, fork) => combined(sum, spentPastPrefix(fork), 1), totalsAtEnd(events));
  const first = events[0]?.at ?? 0;
  return {
    ...key,
    sessionId,
    status,
    success: failures.length === 0,
    failures,
    grade: lastGrade?.score,
    costUsd: totals.costUsd,
    steps: totals.steps,
    toolCalls: totals.toolCalls,
    durationMs: (ending.at(-1)?.at ?? first) - first,
    interventions: interventionsIn(events),
    approvals: approvalsIn(events),
  };
}

type Totals = ReturnType<typeof totalsOf>;

function totalsAtEnd(events: readonly SessionEvent[]): Totals {
  const completed = events.findLast((event) => event.type === 'session.completed');
  return completed?.type === 'session.completed' ? completed.data.totals : totalsOf(events);
}

/** What a fork spent itself: its totals less those of the events it copied (its first `forkedFrom.n`). */
function spentPastPrefix(fork: readonly SessionEvent[]): Totals {
  const created = fork[0];
  const copied = created?.type === 'session.created' ? (created.data.forkedFrom?.n ?? 0) : 0;
  return combined(totalsAtEnd(fork), totalsOf(fork.slice(0, copied)), -1);
}

/** `a` plus (`sign` 1) or less (`sign` -1) `b`, field by field. */
function combined(a: Totals, b: Totals, sign: 1 | -1): Totals {
  const field = (key: 'steps' | 'toolCalls' | 'inputTokens' | 'outputTokens' | 'costUsd') => a[key] + sign * b[key];
  return { steps: field('steps'), toolCalls: field('toolCalls'), inputTokens: field('inputTokens'), outputTokens: field('outputTokens'), costUsd: field('costUsd') };
}

function statusOf(events: readonly SessionEvent[]): RunStatus {
  const completed = events.findLast((event) => event.type === 'session.completed');
  if (completed?.type === 'session.completed') return completed.data.status;
  const pauseOrResume = events.findLast((event) => event.type === 'session.paused' || event.type === 'session.resumed');
  return pauseOrResume?.type === 'session.paused' ? 'paused' : 'timed out';
}

/** Whether the run has got as far as the eval waits for: completed, or paused (nobody resumes an eval's run). */
export function hasEnded(events: readonly SessionEvent[]): boolean {
  const last = events.at(-1);
  return last?.type === 'session.completed' || last?.type === 'session.paused';
}

/** The most work a check's pattern may cost (RE2's program size times the answer's length): about 2 s. */
const maxRegexWork = 100_000_000;

function checkFailure(check: TaskCheck, output: string | undefined): string[] {
  const text = output ?? '';
  if ('outputIncludes' in check) return text.includes(check.outputIncludes) ? [] : [`its answer does not include ${JSON.stringify(check.outputIncludes)}`];
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(check.outputMatches);
  } catch (error) {
    return [`the check's pattern ${JSON.stringify(check.outputMatches)} is not RE2: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (check.outputMatches.length * 10 * text.length > maxRegexWork) return [`its answer is too long (${text.length} characters) to match ${JSON.stringify(check.outputMatches)}`];
  return pattern.matcher(text).find() ? [] : [`its answer does not match ${JSON.stringify(check.outputMatches)}`];
}
