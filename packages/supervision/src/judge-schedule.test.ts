import type { NewEvent, SessionEvent, SupervisionConfig } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import type { Finding } from './detector.ts';
import { judgePlanOf, scheduleJudge, unscheduled, type JudgeCall } from './judge-schedule.ts';
import { script, stored } from './spec.ts';

const read = (step: number) => ({ tool: 'workspace.read', input: { path: `f${step}` }, output: `contents ${step}` });
const judgedAt = (upTo: number, costUsd = 0.01): NewEvent => ({
  type: 'supervisor.judged',
  data: { model: 'anthropic/claude-haiku-4-5', upTo, verdict: 'on_track', reason: 'fine', evidence: [], usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd },
});

/** Every judgement due while the log is handed over event by event, with what prompted it. */
function dueOver(events: readonly SessionEvent[], findingsAt: Record<number, Finding[]> = {}): JudgeCall[] {
  let schedule = unscheduled;
  const due: JudgeCall[] = [];
  for (const event of events) {
    const step = scheduleJudge(schedule, event, findingsAt[event.n] ?? []);
    schedule = step.schedule;
    if (step.due) due.push(step.due);
  }
  return due;
}

const finding = (detector: string): Finding => ({ detector, action: 'nudge', reason: `${detector} found it`, evidence: [2], occurrence: 1 });

describe('when the judge is due', () => {
  it('is off without a model, and when turned off; on with defaults when a model is named', () => {
    expect(judgePlanOf(undefined)).toBeUndefined();
    expect(judgePlanOf(false)).toBeUndefined();
    expect(judgePlanOf({ judge: { model: 'anthropic/claude-haiku-4-5', enabled: false } })).toBeUndefined();
    expect(judgePlanOf({ judge: { model: 'anthropic/claude-haiku-4-5' } })).toEqual({ model: 'anthropic/claude-haiku-4-5', everySteps: 10, onFindings: true, rubric: undefined, maxCalls: 20, maxCostUsd: undefined, maxTrajectoryChars: 40_000 });
    expect(dueOver(stored(script().repeat(30, read(1)).events))).toEqual([]);
  });

  it('is due at the start of the turn after every k turns, until a judgement is recorded (a failed call is asked again)', () => {
    const supervision: SupervisionConfig = { judge: { model: 'anthropic/claude-haiku-4-5', everySteps: 3 } };
    const run = script({ supervision });
    for (let step = 1; step <= 5; step += 1) run.call(read(step));
    // Four events a turn after session.created: turn 4 is asked for at event 14, turn 5 at 18.
    expect(dueOver(stored(run.events)).map((call) => [call.upTo, call.trigger.kind])).toEqual([[14, 'steps'], [18, 'steps']]);
  });

  it('counts turns from the last judgement recorded, and judges nothing at or before what it read', () => {
    const supervision: SupervisionConfig = { judge: { model: 'anthropic/claude-haiku-4-5', everySteps: 2 } };
    const unjudged = script({ supervision }).call(read(1)).call(read(2)).call(read(3));
    expect(dueOver(stored(unjudged.events)).map((call) => call.upTo)).toEqual([10]);
    // Judged up to event 6, recorded as event 10: the next is two turns after that.
    const run = script({ supervision }).call(read(1)).call(read(2)).then(judgedAt(6)).call(read(3)).call(read(4)).call(read(5));
    expect(dueOver(stored(run.events)).map((call) => call.upTo)).toEqual([19]);
  });

  it('is due when another detector finds something, with its reason; not on the judge’s own finding, nor with onFindings off', () => {
    const log = stored(script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5' } } }).call(read(1)).events);
    expect(dueOver(log, { 4: [finding('repetition')] })).toEqual([expect.objectContaining({ upTo: 4, trigger: { kind: 'findings', reasons: ['repetition found it'] } })]);
    expect(dueOver(log, { 4: [finding('judge')] })).toEqual([]);
    const quiet = stored(script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5', onFindings: false } } }).call(read(1)).events);
    expect(dueOver(quiet, { 4: [finding('repetition')] })).toEqual([]);
  });

  it('stops at the cap on calls, and at the cap on what the judgements cost', () => {
    const byCalls = script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5', everySteps: 1, maxCalls: 2 } } });
    byCalls.call(read(1)).call(read(2)).then(judgedAt(6)).call(read(3)).call(read(4)).then(judgedAt(15)).call(read(5)).call(read(6));
    expect(dueOver(stored(byCalls.events)).map((call) => call.upTo)).toEqual([6, 15]);
    const spend = (costUsd: number) => script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5', everySteps: 1, maxCostUsd: 0.05 } } }).call(read(1)).then(judgedAt(3, costUsd)).call(read(2)).call(read(3));
    expect(dueOver(stored(spend(0.01).events)).map((call) => call.upTo)).toEqual([11]);
    expect(dueOver(stored(spend(0.06).events))).toEqual([]);
  });
});
