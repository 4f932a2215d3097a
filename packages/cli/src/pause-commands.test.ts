import { describe, expect, it } from 'vitest';
import { budgetFlag, defaultRequester } from './pause-commands.ts';

describe('pause and resume flags', () => {
  it('reads a budget limit: a whole number of steps, a number of dollars', () => {
    expect(budgetFlag('--max-steps', '40', { integer: true })).toBe(40);
    expect(budgetFlag('--max-cost-usd', '2.5', { integer: false })).toBe(2.5);
  });

  it.each([
    ['--max-steps', '-3', true, '--max-steps must be a positive whole number, not "-3"'],
    ['--max-steps', '0', true, '--max-steps must be a positive whole number, not "0"'],
    ['--max-steps', '2.5', true, '--max-steps must be a positive whole number, not "2.5"'],
    ['--max-steps', '', true, '--max-steps must be a positive whole number, not ""'],
    ['--max-cost-usd', 'lots', false, '--max-cost-usd must be a positive number, not "lots"'],
    ['--max-cost-usd', 'Infinity', false, '--max-cost-usd must be a positive number, not "Infinity"'],
    ['--max-cost-usd', '-0.5', false, '--max-cost-usd must be a positive number, not "-0.5"'],
  ])('refuses %s %j clearly', (flag, text, integer, message) => {
    expect(() => budgetFlag(flag, text, { integer })).toThrow(message);
  });

  it('acts as cli:<os user> when --as is not given', () => {
    expect(defaultRequester()).toMatch(/^cli(:.+)?$/);
  });
});
