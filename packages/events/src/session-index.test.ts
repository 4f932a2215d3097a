import { describe, expect, it } from 'vitest';
import { SessionIndexEntry } from './session-index.ts';

const row = { sessionId: 's1', correlationId: 's1', agent: 'scribe', status: 'running', createdAt: 1, updatedAt: 2, lastN: 3 };

describe('a row of the sessions index', () => {
  it('still parses when written before it kept cost and steps', () => {
    expect(SessionIndexEntry.parse(row)).toEqual(row);
  });

  it('carries what the session has spent and its steps', () => {
    expect(SessionIndexEntry.parse({ ...row, costUsd: 0.25, steps: 4 })).toMatchObject({ costUsd: 0.25, steps: 4 });
  });

  it('refuses a negative cost or a fractional step count', () => {
    expect(SessionIndexEntry.safeParse({ ...row, costUsd: -1 }).success).toBe(false);
    expect(SessionIndexEntry.safeParse({ ...row, steps: 1.5 }).success).toBe(false);
  });
});
