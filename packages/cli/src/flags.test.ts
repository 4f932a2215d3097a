import { describe, expect, it } from 'vitest';
import { positiveNumberFlag, wholeNumberFlag } from './flags.ts';

describe('flags', () => {
  it('reads a count and an amount', () => {
    expect(wholeNumberFlag('--max-steps', '40')).toBe(40);
    expect(wholeNumberFlag('--limit', '0', 0)).toBe(0);
    expect(positiveNumberFlag('--max-cost-usd', '2.5')).toBe(2.5);
  });

  it.each([
    ['-3', '--max-steps must be a whole number of at least 1, not "-3"'],
    ['0', '--max-steps must be a whole number of at least 1, not "0"'],
    ['2.5', '--max-steps must be a whole number of at least 1, not "2.5"'],
    ['', '--max-steps must be a whole number of at least 1, not ""'],
    ['many', '--max-steps must be a whole number of at least 1, not "many"'],
  ])('refuses the count %j in the flag’s own words', (text, message) => {
    expect(() => wholeNumberFlag('--max-steps', text)).toThrow(message);
  });

  it.each(['lots', 'Infinity', '-0.5', '0', ' '])('refuses the amount %j in the flag’s own words', (text) => {
    expect(() => positiveNumberFlag('--max-cost-usd', text)).toThrow(`--max-cost-usd must be a number above 0, not ${JSON.stringify(text)}`);
  });
});
