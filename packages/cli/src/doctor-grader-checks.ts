import { graderDurable } from '@signalbox/events';
import type { Finding, WorkerPoolFact } from './doctor-checks.ts';

/** The grade jobs waiting in the jobs stream, and the graders' shared durable as the server has it (absent: no grader ever started here). */
export interface GraderFact {
  /** Messages on `<prefix>.jobs.grade`. */
  pending: number;
  durable?: Pick<WorkerPoolFact, 'waiting' | 'inProgress' | 'pulls'>;
}

/** The grader fact from the pending grade jobs and the jobs stream's durables. */
export function graderFactOf(pending: number, workers: readonly WorkerPoolFact[], jobsStream: string): GraderFact {
  const pool = workers.find((worker) => worker.stream === jobsStream && worker.name === graderDurable);
  return pool ? { pending, durable: { waiting: pool.waiting, inProgress: pool.inProgress, pulls: pool.pulls } } : { pending };
}

/**
 * Grade jobs that wait with no grader to take them: their sessions wait for grades that never come.
 * A grader is consuming when its durable holds pull requests, or has jobs in progress.
 */
export function graderFindings(fact: GraderFact | undefined, prefix: string): Finding[] {
  if (!fact || fact.pending === 0) return [];
  const { durable } = fact;
  if (durable && (durable.pulls > 0 || durable.inProgress > 0)) return [];
  const jobs = fact.pending === 1 ? '1 grade job waits' : `${fact.pending} grade jobs wait`;
  const why = durable ? `the ${graderDurable} durable has no pull waiting, so no grader is running` : `no grader has ever consumed them (no ${graderDurable} durable)`;
  return [{ level: 'warn', message: `${jobs} on ${prefix}.jobs.grade, and ${why}: their sessions wait for their grades. Start \`signalbox run grader\` (or \`signalbox up\`).` }];
}
