import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { Policy } from '@signalbox/events';

const staging = Policy.parse({
  name: 'staging',
  version: 3,
  rules: [
    { effect: 'allow', tool: 'workspace.*', args: { path: 'notes/**' } },
    { id: 'no-prod-tokens', description: 'production tokens stay out of staging runs', effect: 'deny', tool: 'workspace.*', args: { path: 'secrets/**' } },
    { effect: 'ask', tool: 'shell.run', args: { command: 'git *' } },
    { effect: 'allow', tool: 'shell.run' },
    { effect: 'deny', tool: 'shell.run', args: { command: 'rm *' } },
    { effect: 'allow', tool: 'http.fetch', url: { host: '*.example.com', methods: ['GET'] } },
  ],
});

function effectOf(tool: string, input: unknown) {
  return evaluate(staging, { tool, input }).effect;
}

describe('evaluate', () => {
  it('allows what an allow rule matches, naming the rule', () => {
    expect(evaluate(staging, { tool: 'workspace.read', input: { path: 'notes/plan.md' } })).toEqual({
      effect: 'allow',
      policy: 'staging',
      policyVersion: 3,
      rule: { index: 0 },
      reason: 'allowed by rule 1 of policy staging v3',
    });
  });

  it('lets a matching deny win wherever it stands, and says why', () => {
    expect(evaluate(staging, { tool: 'workspace.read', input: { path: 'secrets/prod.token' } })).toEqual({
      effect: 'deny',
      policy: 'staging',
      policyVersion: 3,
      rule: { index: 1, id: 'no-prod-tokens' },
      reason: 'denied by rule 2 (no-prod-tokens) of policy staging v3: production tokens stay out of staging runs',
    });
    expect(effectOf('shell.run', { command: 'rm -rf /' })).toBe('deny');
  });

  it('puts ask before allow, and the first match of an effect decides', () => {
    expect(evaluate(staging, { tool: 'shell.run', input: { command: 'git push' } })).toMatchObject({ effect: 'ask', rule: { index: 2 } });
    expect(evaluate(staging, { tool: 'shell.run', input: { command: 'ls' } })).toMatchObject({ effect: 'allow', rule: { index: 3 } });
  });

  it('falls back to the default, deny unless the policy says otherwise', () => {
    expect(evaluate(staging, { tool: 'workspace.write', input: { path: 'src/a.ts' } })).toEqual({
      effect: 'deny',
      policy: 'staging',
      policyVersion: 3,
      reason: 'denied by default: no rule of policy staging v3 matches a call to workspace.write',
    });
    const open = Policy.parse({ name: 'open', rules: [], default: 'ask' });
    expect(evaluate(open, { tool: 'x', input: {} })).toEqual({
      effect: 'ask',
      policy: 'open',
      reason: 'held for approval by default: no rule of policy open matches a call to x',
    });
  });

  it('does not let `..` or `.` segments walk a path out of a pattern', () => {
    expect(effectOf('workspace.read', { path: 'notes/../secrets/prod.token' })).toBe('deny');
    expect(evaluate(staging, { tool: 'workspace.read', input: { path: 'notes/../x.md' } }).rule).toEqual({ index: 1, id: 'no-prod-tokens' });
    expect(effectOf('workspace.read', { path: './secrets/prod.token' })).toBe('deny');
    expect(effectOf('workspace.read', { path: 'secrets//.prod.token' })).toBe('deny');
    expect(effectOf('workspace.read', { path: './notes/plan.md' })).toBe('allow');
  });

  it('never matches a string pattern with a value that is not a string', () => {
    expect(effectOf('workspace.read', { path: ['notes/plan.md'] })).toBe('deny');
    expect(effectOf('workspace.read', {})).toBe('deny');
    expect(effectOf('shell.run', { command: ['rm', '-rf', '/'] })).toBe('allow');
  });

  it('matches a URL by host and method', () => {
    expect(effectOf('http.fetch', { method: 'GET', url: 'https://api.example.com/v1' })).toBe('allow');
    expect(effectOf('http.fetch', { url: 'https://API.Example.com/v1' })).toBe('allow');
    expect(effectOf('http.fetch', { method: 'get', url: 'https://api.example.com/v1' })).toBe('allow');
    expect(effectOf('http.fetch', { method: 'DELETE', url: 'https://api.example.com/v1' })).toBe('deny');
    expect(effectOf('http.fetch', { url: 'https://api.example.com@evil.test/' })).toBe('deny');
    expect(effectOf('http.fetch', { url: 'https://example.com/' })).toBe('deny');
  });

  it('takes a URL that does not parse as matching a deny rule and no grant', () => {
    const fetching = Policy.parse({
      name: 'fetching',
      rules: [
        { effect: 'allow', tool: 'http.fetch', url: { host: '**' } },
        { effect: 'deny', tool: 'http.fetch', url: { host: 'prod.*' } },
      ],
      default: 'allow',
    });
    expect(evaluate(fetching, { tool: 'http.fetch', input: { url: 'not a url' } })).toMatchObject({ effect: 'deny', rule: { index: 1 } });
  });

  it('reads nested arguments by a dotted key', () => {
    const nested = Policy.parse({ name: 'nested', rules: [{ effect: 'allow', tool: 'shell.run', args: { 'options.cwd': 'notes/**', 'argv.0': 'git' } }] });
    expect(evaluate(nested, { tool: 'shell.run', input: { argv: ['git', 'log'], options: { cwd: 'notes/a' } } }).effect).toBe('allow');
    expect(evaluate(nested, { tool: 'shell.run', input: { argv: ['rm'], options: { cwd: 'notes/a' } } }).effect).toBe('deny');
  });
});
