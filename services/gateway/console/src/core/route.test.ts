import { describe, expect, it } from 'vitest';
import { summarise, clip } from './events.ts';
import { diffPath, parseRoute, sessionPath } from './route.ts';
import { sessionsQuery, noFilters } from './session-filters.ts';

describe('the console routes', () => {
  it('reads each page from the address', () => {
    expect(parseRoute('/', '')).toEqual({ page: 'sessions' });
    expect(parseRoute('/login', '')).toEqual({ page: 'login' });
    expect(parseRoute('/tokens', '')).toEqual({ page: 'tokens' });
    expect(parseRoute('/sessions/a%2Fb', '')).toEqual({ page: 'session', sessionId: 'a/b' });
    expect(parseRoute('/diff', '?a=x&b=y')).toEqual({ page: 'diff', a: 'x', b: 'y' });
    expect(parseRoute('/sessions/%E0%A4%A', '')).toEqual({ page: 'not-found', path: '/sessions/%E0%A4%A' });
    expect(parseRoute('/nope', '')).toEqual({ page: 'not-found', path: '/nope' });
  });

  it('builds paths that keep an id from the log inside its segment', () => {
    expect(sessionPath('../api/v1/tokens')).toBe('/sessions/..%2Fapi%2Fv1%2Ftokens');
    expect(diffPath('a&b=c', 'd')).toBe('/diff?a=a%26b%3Dc&b=d');
  });
});

describe('the session list query', () => {
  it('sends only the filters set, times in ms since the epoch', () => {
    expect(sessionsQuery(noFilters, 50)).toBe('limit=50');
    const query = new URLSearchParams(sessionsQuery({ ...noFilters, status: 'failed', agent: ' triager ', since: '2026-12-03T10:00', minCost: '0.5', maxCost: 'lots' }, 20));
    expect(Object.fromEntries(query)).toEqual({ status: 'failed', agent: 'triager', since: String(new Date('2026-12-03T10:00').getTime()), minCost: '0.5', limit: '20' });
  });
});

describe('one-line summaries', () => {
  it('say what a model replied and which tools it called, cut to one line', () => {
    const replied = { id: 'e', type: 'model.responded', n: 3, at: 0, sessionId: 's', data: { stopReason: 'tool_use', costUsd: 0.001, content: [{ type: 'text', text: 'I will\nwrite it' }, { type: 'tool_use', name: 'workspace.write' }] } };
    expect(summarise(replied)).toBe('tool_use $0.0010 → workspace.write I will write it');
    expect(clip('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
