import { describe, expect, it } from 'vitest';
import { subtractTotals, sumTotals } from './totals.ts';

const totals = (costUsd: number, grading?: number) => ({ steps: 1, toolCalls: 2, inputTokens: 30, outputTokens: 4, costUsd, ...(grading === undefined ? {} : { grading: { inputTokens: 3, outputTokens: 1, costUsd: grading } }) });

describe('adding and taking away spend', () => {
  it('adds every count, grading only when some session graded, and keeps costs free of floating-point drift', () => {
    expect(sumTotals([])).toEqual({ steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(sumTotals([totals(0.1), totals(0.2, 0.05)])).toEqual({ steps: 2, toolCalls: 4, inputTokens: 60, outputTokens: 8, costUsd: 0.3, grading: { inputTokens: 3, outputTokens: 1, costUsd: 0.05 } });
  });

  it('takes a part away, never below zero', () => {
    expect(subtractTotals(totals(0.3, 0.05), totals(0.1))).toEqual({ steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0.2, grading: { inputTokens: 3, outputTokens: 1, costUsd: 0.05 } });
    expect(subtractTotals(totals(0.1), sumTotals([totals(0.1), totals(0.1)]))).toMatchObject({ steps: 0, costUsd: 0 });
  });
});
