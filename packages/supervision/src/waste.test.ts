import { describe, expect, it } from 'vitest';
import { given, script } from './spec.ts';

const read = (step: number) => ({ tool: 'workspace.read', input: { path: `f${step}` }, output: `contents ${step}` });

describe('waste', () => {
  it('finds spend over the last 5 steps that would exhaust the cost budget within 3 more, while steps remain', () => {
    const run = script({ budget: { maxSteps: 50, maxCostUsd: 1 } });
    for (let step = 0; step < 5; step += 1) run.call(read(step), { costUsd: 0.01 });
    for (let step = 5; step < 10; step += 1) run.call(read(step), { costUsd: 0.15 });
    given(run.events).then([{ detector: 'waste', evidence: [19, 23, 27, 31, 35], reason: expect.stringContaining('wrap up') as string }]);
  });

  it('stays quiet when the step budget would end the run first, or without a cost limit', () => {
    const short = script({ budget: { maxSteps: 10, maxCostUsd: 1 } });
    for (let step = 0; step < 9; step += 1) short.call(read(step), { costUsd: 0.1 });
    given(short.events).then([]);
    const unlimited = script({ budget: { maxSteps: 50 } });
    for (let step = 0; step < 20; step += 1) unlimited.call(read(step), { costUsd: 0.5 });
    given(unlimited.events).then([]);
  });

  it('finds time per step that would exhaust the wall-clock budget within 3 more steps', () => {
    const run = script({ budget: { maxSteps: 50, maxWallClockMs: 40_000 } });
    for (let step = 0; step < 10; step += 1) run.call(read(step));
    // One event a second, four a step: the 8th step answers at 30 s, with 10 s (2.5 steps) left.
    given(run.events).then([{ detector: 'waste', evidence: [15, 19, 23, 27, 31], reason: 'At 4 s a step over the last 5 steps, the 10 s left of the budget lasts about 2 more steps, with 42 steps still allowed: wrap up.' }]);
  });

  it('finds the same large output read a third time', () => {
    const big = 'x'.repeat(2_500);
    const run = script()
      .call({ tool: 'workspace.read', input: { path: 'big.log' }, output: big })
      .call({ tool: 'shell.run', input: { command: 'cat big.log' }, output: big })
      .call(read(1))
      .call({ tool: 'shell.run', input: { command: 'cat ./big.log' }, output: big });
    given(run.events).then([{ detector: 'waste', evidence: [5, 9, 17], reason: 'The same large output came back 3 times; the agent already has it.' }]);
  });
});
