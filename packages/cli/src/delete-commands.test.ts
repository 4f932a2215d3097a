import { describe, expect, it } from 'vitest';
import { whereFilter } from './delete-commands.ts';

describe('--where filters', () => {
  it('reads key=value pairs into one filter; a value may hold "="', () => {
    expect(whereFilter(['team=red', 'query=a=b'])).toEqual({ team: 'red', query: 'a=b' });
    expect(whereFilter([])).toEqual({});
  });

  it.each(['*', '>', 'team', '=red', 'team=', 'a b=c', `${'k'.repeat(65)}=v`])('refuses %j, saying what a filter is', (pair) => {
    expect(() => whereFilter([pair])).toThrow(/a --where filter is key=value/);
  });

  it('refuses a key given twice rather than let one win', () => {
    expect(() => whereFilter(['team=red', 'team=blue'])).toThrow('--where names team twice');
  });

  it('keeps a key named like an object property as data', () => {
    expect(whereFilter(['__proto__=x'])).toEqual(JSON.parse('{"__proto__":"x"}'));
  });
});
