import { describe, expect, it } from 'vitest';
import { gradeJobId } from './effect-ports.ts';

describe('gradeJobId', () => {
  it('is one per session and attempt, so a job sent again is dropped by the stream', () => {
    expect(gradeJobId({ job: { sessionId: 's1', attempt: 2 } as never, round: 0 })).toBe('grade/s1/2');
  });

  it('is a new one after a grade that came with a problem, so the job sent again on resume reaches the grader', () => {
    expect(gradeJobId({ job: { sessionId: 's1', attempt: 2 } as never, round: 1 })).toBe('grade/s1/2/1');
  });
});
