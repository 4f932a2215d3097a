import { describe, expect, it } from 'vitest';
import { configurationReports } from './report.ts';
import { nudge, run } from './spec.ts';
import { configurationTable } from './text-report.ts';

describe('a configuration’s report', () => {
  const runs = [
    run({ configuration: 'on', success: true, costUsd: 0.1, steps: 4, durationMs: 2_000, grade: 1, interventions: [nudge(9)], approvals: 1 }),
    run({ configuration: 'on', success: false, status: 'paused', costUsd: 0.3, steps: 8, durationMs: 4_000, grade: 0.5 }),
    run({ configuration: 'off', success: false, status: 'failed', costUsd: 0.5, steps: 10 }),
  ];

  it('adds up success with its Wilson interval, grade, cost, steps, duration, interventions and approvals', () => {
    const [on, off, none] = configurationReports(['on', 'off', 'never-ran'], runs);
    expect(on).toMatchObject({ runs: 2, successes: 1, successRate: 0.5, meanGrade: 0.75, meanSteps: 6, meanDurationMs: 3_000, interventions: 1, interventionsBy: { 'repetition/nudge': 1 }, approvals: 1 });
    expect(on?.meanCostUsd).toBeCloseTo(0.2);
    expect(on?.totalCostUsd).toBeCloseTo(0.4);
    expect(on?.interval.low).toBeCloseTo(0.0945, 3);
    expect(on?.interval.high).toBeCloseTo(0.9055, 3);
    expect(off).toMatchObject({ runs: 1, successes: 0, meanGrade: undefined, interventions: 0 });
    expect(none).toMatchObject({ runs: 0, successRate: 0, interval: { low: 0, high: 1 } });
  });

  it('prints as a table, one row a configuration', () => {
    const table = configurationTable(configurationReports(['on', 'off'], runs)).split('\n');
    expect(table[0]).toMatch(/^configuration\s+runs\s+success\s+95% CI\s+grade\s+cost a run\s+steps\s+duration\s+interventions\s+approvals$/);
    expect(table[2]).toMatch(/^on\s+2\s+50%\s+9%-91%\s+0\.75\s+\$0\.2000\s+6\.0\s+3\.00s\s+1\s+1$/);
    expect(table[3]).toMatch(/^off\s+1\s+0%\s+0%-79%\s+-\s+\$0\.5000/);
  });
});
