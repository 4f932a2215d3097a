import { describe, expect, it } from 'vitest';
import { Policy, policyLimits } from './policy-document.ts';

const rule = { effect: 'allow', tool: 'workspace.*' };

describe('Policy', () => {
  it('denies by default and takes the version as optional', () => {
    expect(Policy.parse({ name: 'staging', rules: [rule] })).toEqual({ name: 'staging', rules: [rule], default: 'deny' });
  });

  it.each([
    ['a version that is not a positive integer', { name: 'p', version: 0, rules: [] }],
    ['a name with capitals', { name: 'Staging', rules: [] }],
    ['too many rules', { name: 'p', rules: Array.from({ length: policyLimits.rules + 1 }, () => rule) }],
    ['a pattern too long', { name: 'p', rules: [{ effect: 'allow', tool: 'a'.repeat(policyLimits.patternLength + 1) }] }],
    ['an empty pattern', { name: 'p', rules: [{ effect: 'allow', tool: '' }] }],
    ['an argument key that is not dotted names', { name: 'p', rules: [{ ...rule, args: { 'a..b': '*' } }] }],
    ['an argument key nested too deep', { name: 'p', rules: [{ ...rule, args: { 'a.b.c.d.e.f.g.h.i': '*' } }] }],
    ['too many argument patterns', { name: 'p', rules: [{ ...rule, args: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, '*'])) }] }],
    ['an unknown method', { name: 'p', rules: [{ ...rule, url: { host: '*', methods: ['FETCH'] } }] }],
    ['an unknown field', { name: 'p', rules: [{ ...rule, effects: 'deny' }] }],
    ['bounds nested in bounds', { name: 'p', rules: [], within: [{ name: 'q', rules: [], within: [] }] }],
    ['too many bounds', { name: 'p', rules: [], within: Array.from({ length: policyLimits.within + 1 }, () => ({ name: 'q', rules: [] })) }],
  ])('refuses %s', (_, policy) => {
    expect(Policy.safeParse(policy).success).toBe(false);
  });
});

describe('the secrets a policy grants', () => {
  it('are names like environment variables, in the policy and in each layer it is within', () => {
    const policy = Policy.parse({ name: 'p', rules: [], secrets: ['GITHUB_TOKEN', '_X1'], within: [{ name: 'q', rules: [], secrets: ['GITHUB_TOKEN'] }] });
    expect(policy.secrets).toEqual(['GITHUB_TOKEN', '_X1']);
    expect(policy.within?.[0]?.secrets).toEqual(['GITHUB_TOKEN']);
  });

  it.each([
    ['a name with a dot', ['a.b']],
    ['a wildcard', ['*']],
    ['a full wildcard', ['>']],
    ['a name starting with a digit', ['1TOKEN']],
    ['an empty name', ['']],
    ['a name of 129 characters', ['A'.repeat(129)]],
    ['more names than the limit', Array.from({ length: policyLimits.secrets + 1 }, (_, i) => `S${i}`)],
  ])('refuses %s', (_, secrets) => {
    expect(Policy.safeParse({ name: 'p', rules: [], secrets }).success).toBe(false);
  });
});

describe('how long an ask rule waits for a person', () => {
  const rule = (fields: object) => Policy.safeParse({ name: 'p', rules: [{ tool: 'deploy.*', ...fields }] });

  it('is set on an ask rule, between a second and a week', () => {
    expect(rule({ effect: 'ask', approvalTimeoutMs: 900_000 }).success).toBe(true);
    expect(rule({ effect: 'ask', approvalTimeoutMs: 999 }).success).toBe(false);
    expect(rule({ effect: 'ask', approvalTimeoutMs: 8 * 24 * 3600 * 1000 }).success).toBe(false);
  });

  it('is refused on an allow or a deny rule, where no call waits', () => {
    const refused = rule({ effect: 'allow', approvalTimeoutMs: 900_000 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/approvalTimeoutMs is for an `ask` rule/);
  });
});
