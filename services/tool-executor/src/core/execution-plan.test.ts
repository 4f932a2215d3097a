import type { ToolResult } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { claimGraceMs, deadLetterAnswer, planExecution, type LedgerEntry, type PlanningContext } from './execution-plan.ts';

const now = 1_700_000_000_000;
const timeoutMs = 60_000;
const recorded: ToolResult = { type: 'tool.result', sessionId: 's1', callId: 'c1', tool: 'mail.send', outcome: { status: 'completed', output: 'sent' }, durationMs: 3 };

function context(idempotent: boolean, job = 'SBX_JOBS/7'): PlanningContext {
  return { job, now, tool: { name: 'mail.send', idempotent, timeoutMs } };
}
function started(by: { job?: string; ageMs?: number } = {}): LedgerEntry {
  return { state: 'started', idempotencyKey: 's1/c1', job: by.job ?? 'SBX_JOBS/3', instance: 'exec-a', at: now - (by.ageMs ?? 1_000) };
}
const finished: LedgerEntry = { state: 'finished', idempotencyKey: 's1/c1', instance: 'exec-a', at: now, result: recorded };
const abandoned = started({ ageMs: timeoutMs + claimGraceMs + 1 });

describe('planExecution', () => {
  it('runs a call the ledger has never seen', () => {
    expect(planExecution(undefined, context(false))).toEqual({ action: 'run', rerun: false });
  });

  it('answers a finished call with its recorded result, idempotent or not', () => {
    expect(planExecution(finished, context(false))).toEqual({ action: 'replay', result: recorded });
    expect(planExecution(finished, context(true))).toEqual({ action: 'replay', result: recorded });
  });

  it('never runs a non-idempotent call again once its run was cut off', () => {
    const plan = planExecution(abandoned, context(false));
    expect(plan).toEqual({ action: 'unknown', reason: expect.stringContaining('mail.send was cut off mid-call') });
  });

  it('runs an idempotent call again once its run was cut off', () => {
    expect(planExecution(abandoned, context(true))).toEqual({ action: 'run', rerun: true });
  });

  it('takes a redelivery of the job that claimed the call as proof that its run was cut off', () => {
    const claimedByThisJob = started({ job: 'SBX_JOBS/7', ageMs: 1 });
    expect(planExecution(claimedByThisJob, context(false)).action).toBe('unknown');
    expect(planExecution(claimedByThisJob, context(true)).action).toBe('run');
  });

  it('waits for a claim another job holds while that run may still be going, rather than run twice', () => {
    const live = started({ ageMs: timeoutMs + claimGraceMs });
    expect(planExecution(live, context(false))).toEqual({ action: 'wait', reason: expect.stringContaining('s1/c1 is running') });
    expect(planExecution(live, context(true)).action).toBe('wait');
  });
});

describe('deadLetterAnswer', () => {
  const reason = 'failed 5 times; last error: no responders';

  it('fails a call that never started, with the reason', () => {
    expect(deadLetterAnswer(planExecution(undefined, context(true)), reason)).toEqual({
      send: 'outcome',
      outcome: { status: 'failed', error: `the call could not be carried out: ${reason}` },
    });
  });

  it('calls the outcome unknown when the call started, idempotent or not', () => {
    expect(deadLetterAnswer(planExecution(abandoned, context(true)), reason)).toEqual({
      send: 'outcome',
      outcome: { status: 'unknown', reason: `the call started but never finished: ${reason}` },
    });
    expect(deadLetterAnswer(planExecution(abandoned, context(false)), reason)).toMatchObject({ send: 'outcome', outcome: { status: 'unknown' } });
  });

  it('sends the recorded result of a finished call, with a failure to fall back on', () => {
    expect(deadLetterAnswer(planExecution(finished, context(false)), reason)).toEqual({
      send: 'recorded',
      result: recorded,
      fallback: { status: 'failed', error: `the call finished but its result could not be delivered: ${reason}` },
    });
  });

  it('leaves the answer to a run still going', () => {
    expect(deadLetterAnswer(planExecution(started(), context(false)), reason)).toMatchObject({ send: 'nothing' });
  });
});
