import { OutcomeSettings, readRubric } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { gradeRefusal } from './grade-refusal.ts';

const read = readRubric('Names the failing test.');
const gradedBy = 'rubric' in read ? { settings: OutcomeSettings.parse({}), rubric: read.rubric } : null;

describe('gradeRefusal', () => {
  it('takes a grade for a session created under decider version 8 with an outcome', () => {
    expect(gradeRefusal({ sessionId: 's1', deciderVersion: 8, gradedBy })).toBeUndefined();
  });

  it('refuses one for a session created under an older decider version', () => {
    expect(gradeRefusal({ sessionId: 's1', deciderVersion: 7, gradedBy: null })).toBe('session s1 was created under decider version 7, which grades no outcome (8 on does); it is unchanged');
  });

  it('refuses one for a session without an outcome', () => {
    expect(gradeRefusal({ sessionId: 's1', deciderVersion: 8, gradedBy: null })).toMatch(/session s1 has no outcome to grade/);
  });
});
