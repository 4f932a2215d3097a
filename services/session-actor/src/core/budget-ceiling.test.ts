import { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { budgetOverCeiling } from './budget-ceiling.ts';

const installation = { maxSteps: 1_000, maxCostUsd: 100 };
const agent = (overrides: Record<string, unknown> = {}) =>
  AgentDefinition.parse({ name: 'helper', model: 'anthropic/claude-sonnet-4-5', budget: { maxSteps: 20, maxCostUsd: 1 }, ...overrides });

describe('budgetOverCeiling', () => {
  it.each([
    ['a lower limit', { maxSteps: 5, maxCostUsd: 0.1 }],
    ['no limit at all', {}],
    ["a raise up to the installation's ceiling", { maxSteps: 1_000, maxCostUsd: 100 }],
  ])('allows %s', (_case, requested) => {
    expect(budgetOverCeiling(requested, agent(), installation)).toBeUndefined();
  });

  it("refuses a raise past the installation's ceiling, naming the limit and the ceiling", () => {
    expect(budgetOverCeiling({ maxSteps: 1e9 }, agent(), installation)).toBe(
      `maxSteps 1000000000 is over the ceiling: agent "helper" allows at most 1000 (the installation's ceiling)`,
    );
    expect(budgetOverCeiling({ maxSteps: 10, maxCostUsd: 100.01 }, agent(), installation)).toMatch(/^maxCostUsd 100.01 is over .* at most 100 /);
  });

  it("takes the agent's budgetCeiling instead of the installation's, limit by limit", () => {
    const capped = agent({ budgetCeiling: { maxSteps: 50 } });
    expect(budgetOverCeiling({ maxSteps: 51 }, capped, installation)).toMatch(/at most 50 \(agent "helper"'s budgetCeiling\)/);
    expect(budgetOverCeiling({ maxCostUsd: 100 }, capped, installation)).toBeUndefined();
    const generous = agent({ budgetCeiling: { maxSteps: 5_000 } });
    expect(budgetOverCeiling({ maxSteps: 5_000 }, generous, installation)).toBeUndefined();
  });

  it("always allows the agent's own limits, even above the ceiling", () => {
    const long = agent({ budget: { maxSteps: 2_000 } });
    expect(budgetOverCeiling({ maxSteps: 2_000 }, long, installation)).toBeUndefined();
    expect(budgetOverCeiling({ maxSteps: 2_001 }, long, installation)).toMatch(/at most 2000 \(agent "helper"'s own budget\)/);
  });
});
