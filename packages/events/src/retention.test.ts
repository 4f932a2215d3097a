import { describe, expect, it } from 'vitest';
import { AgentDefinition } from './agent.ts';
import { RetentionPeriod, retentionMs } from './retention.ts';

describe('RetentionPeriod', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['3650d', 3650 * 86_400_000],
  ])('reads %s as %i ms', (period, ms) => {
    expect(retentionMs(RetentionPeriod.parse(period))).toBe(ms);
  });

  it.each(['0d', '30', 'd', '30 d', '1.5d', '-1d', '59m', '3651d', '99999999d', '30w', ''])('refuses %j', (period) => {
    expect(RetentionPeriod.safeParse(period).success).toBe(false);
  });

  it('is an optional field of an agent, checked with it', () => {
    expect(AgentDefinition.parse({ name: 'a', model: 'scripted', script: [], retention: '7d' }).retention).toBe('7d');
    expect(AgentDefinition.safeParse({ name: 'a', model: 'scripted', script: [], retention: 'soon' }).success).toBe(false);
  });
});
