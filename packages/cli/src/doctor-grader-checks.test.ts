import { describe, expect, it } from 'vitest';
import type { WorkerPoolFact } from './doctor-checks.ts';
import { graderFactOf, graderFindings } from './doctor-grader-checks.ts';

const pool = (name: string, fields: Partial<WorkerPoolFact> = {}): WorkerPoolFact => ({ stream: 'SBX_JOBS', name, filter: 'sbx.jobs.grade', waiting: 0, inProgress: 0, pulls: 0, ...fields });

describe('doctor on the grader', () => {
  it('finds the grade jobs waiting and the graders\' durable among the jobs stream\'s', () => {
    expect(graderFactOf(3, [pool('tool-executor-workspace-read'), pool('grader', { waiting: 3, pulls: 2 })], 'SBX_JOBS')).toEqual({ pending: 3, durable: { waiting: 3, inProgress: 0, pulls: 2 } });
    expect(graderFactOf(3, [pool('grader', { stream: 'SBX_INBOX' })], 'SBX_JOBS')).toEqual({ pending: 3 });
  });

  it('warns when grade jobs wait and no grader ever consumed them, with the fix', () => {
    expect(graderFindings({ pending: 2 }, 'sbx')).toEqual([
      { level: 'warn', message: '2 grade jobs wait on sbx.jobs.grade, and no grader has ever consumed them (no grader durable): their sessions wait for their grades. Start `signalbox run grader` (or `signalbox up`).' },
    ]);
  });

  it('warns when grade jobs wait and the durable has no pull waiting: its graders stopped', () => {
    expect(graderFindings({ pending: 1, durable: { waiting: 1, inProgress: 0, pulls: 0 } }, 'sbx')).toEqual([
      { level: 'warn', message: expect.stringMatching(/^1 grade job waits on sbx\.jobs\.grade, and the grader durable has no pull waiting, so no grader is running: .*Start `signalbox run grader`/) },
    ]);
  });

  it('says nothing when nothing waits, or a grader pulls or is grading', () => {
    expect(graderFindings(undefined, 'sbx')).toEqual([]);
    expect(graderFindings({ pending: 0 }, 'sbx')).toEqual([]);
    expect(graderFindings({ pending: 5, durable: { waiting: 5, inProgress: 0, pulls: 1 } }, 'sbx')).toEqual([]);
    expect(graderFindings({ pending: 5, durable: { waiting: 4, inProgress: 1, pulls: 0 } }, 'sbx')).toEqual([]);
  });
});
