import type { NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { given, script } from './spec.ts';
import { ladderAction } from './supervise.ts';

const read = (step: number) => ({ tool: 'workspace.read', input: { path: `f${step}` }, output: `contents ${step}` });
const judged = (upTo: number, verdict: 'on_track' | 'off_track' | 'unreadable', evidence: number[] = []): NewEvent => ({
  type: 'supervisor.judged',
  data: { model: 'anthropic/claude-haiku-4-5', upTo, verdict, reason: 'It reads files the goal does not need.', evidence, usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0.01 },
});
const nudged = (evidence: number[]): NewEvent => ({ type: 'supervisor.intervened', data: { detector: 'judge', action: 'nudge', reason: 'r', evidence } });
const run = () => script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5' } } }).call(read(1)).call(read(2));

describe('judge', () => {
  it('finds an off-track verdict, its own event first, then the events it pointed at (none past what it read)', () => {
    given(run().events).when(judged(9, 'off_track', [6, 2, 40])).then([{ detector: 'judge', action: 'nudge', evidence: [10, 2, 6], reason: 'A reviewer who read the session so far finds it off track: It reads files the goal does not need.' }]);
  });

  it('finds nothing in an on-track or unreadable verdict', () => {
    given(run().then(judged(9, 'on_track')).then(judged(9, 'unreadable')).events).then([]);
  });

  it('finds each off-track verdict once, and a recurrence after its intervention climbs the ladder', () => {
    const events = run().then(judged(9, 'off_track')).then(nudged([10])).call(read(3)).then(judged(15, 'off_track')).events;
    const findings = given(events).then([{ detector: 'judge', evidence: [10], occurrence: 1 }, { detector: 'judge', evidence: [16], occurrence: 2 }]);
    expect(findings.map((finding) => ladderAction(['nudge', 'pause', 'abort'], finding))).toEqual(['nudge', 'pause']);
  });

  it('starts from the action the agent configures, and is silent when turned off', () => {
    const paused = script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5', action: 'pause' } } }).call(read(1)).then(judged(5, 'off_track'));
    given(paused.events).then([{ detector: 'judge', action: 'pause' }]);
    const off = script({ supervision: { judge: { model: 'anthropic/claude-haiku-4-5', enabled: false } } }).call(read(1)).then(judged(5, 'off_track'));
    given(off.events).then([]);
  });
});
