import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { childPolicy, narrow } from './compose.ts';
import { evaluate, strictness } from './evaluate.ts';
import { listedToolsPolicy } from './listed-tools.ts';
import type { PolicyCall } from './matching.ts';
import { ruleMatch } from './matching.ts';
import type { Policy, PolicyRule } from '@signalbox/events';
import { Effect, layersOf } from '@signalbox/events';

const tools = ['workspace.read', 'workspace.write', 'http.fetch', 'shell.run'];

const arbitraryRule: fc.Arbitrary<PolicyRule> = fc.record(
  {
    effect: fc.constantFrom(...Effect.options),
    tool: fc.constantFrom('*', 'workspace.*', ...tools),
    args: fc.dictionary(fc.constantFrom('path', 'command'), fc.constantFrom('**', 'notes/**', 'secrets/**', 'git *', 'rm *'), { maxKeys: 2 }),
    url: fc.record({ host: fc.constantFrom('*', '*.example.com', 'prod.*'), methods: fc.constantFrom(['GET' as const], ['GET' as const, 'POST' as const]) }, { requiredKeys: ['host'] }),
    delegable: fc.boolean(),
  },
  { requiredKeys: ['effect', 'tool'] },
);

const arbitraryLayer = fc.record({
  name: fc.constantFrom('agent', 'task', 'parent', 'child'),
  version: fc.integer({ min: 1, max: 9 }),
  rules: fc.array(arbitraryRule, { maxLength: 6 }),
  default: fc.constantFrom(...Effect.options),
});

const arbitraryPolicy: fc.Arbitrary<Policy> = fc
  .tuple(arbitraryLayer, fc.option(fc.array(arbitraryLayer, { maxLength: 2 }), { nil: undefined }))
  .map(([own, within]) => (within === undefined ? own : { ...own, within }));

const arbitraryCall: fc.Arbitrary<PolicyCall> = fc.record({
  tool: fc.constantFrom(...tools),
  input: fc.record(
    {
      path: fc.constantFrom('notes/a.md', 'secrets/k', 'notes/../secrets/k', './secrets/k', 42),
      command: fc.constantFrom('git log', 'rm -rf /', 'ls'),
      url: fc.constantFrom('https://api.example.com/', 'https://prod.internal/', 'not a url'),
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
    },
    { requiredKeys: [] },
  ),
});

const runs = { seed: 16, numRuns: 500 };

function strictest(...effects: Effect[]): Effect {
  return effects.reduce((a, b) => (strictness(b) > strictness(a) ? b : a));
}

/** Without the construction: the effect a parent's delegable grants give a call, read off its own rules. */
function delegableEffect(parent: Policy, call: PolicyCall): Effect {
  const perLayer = layersOf(parent).map((layer): Effect => {
    const matching = layer.rules.filter((rule) => {
      const match = ruleMatch(rule, call);
      return match === 'yes' || (match === 'unsure' && rule.effect === 'deny');
    });
    if (matching.some((rule) => rule.effect === 'deny' || (rule.effect === 'ask' && rule.delegable !== true))) return 'deny';
    if (matching.some((rule) => rule.effect === 'ask')) return 'ask';
    return matching.some((rule) => rule.effect === 'allow' && rule.delegable === true) ? 'allow' : 'deny';
  });
  return strictest(...perLayer);
}

describe('narrow', () => {
  it('gives each call the strictest of the agent’s and the task’s effects, so it never widens', () => {
    fc.assert(
      fc.property(arbitraryPolicy, arbitraryPolicy, arbitraryCall, (agent, task, call) => {
        const narrowed = evaluate(narrow(agent, task), call).effect;
        expect(narrowed).toBe(strictest(evaluate(agent, call).effect, evaluate(task, call).effect));
      }),
      runs,
    );
  });

  it('names the policy that decided', () => {
    const agent: Policy = { name: 'agent', version: 2, rules: [{ effect: 'allow', tool: '*' }], default: 'deny' };
    const task: Policy = { name: 'task', rules: [{ id: 'read-only', effect: 'deny', tool: 'workspace.write' }], default: 'allow' };
    expect(evaluate(narrow(agent, task), { tool: 'workspace.write', input: {} }).reason).toBe('denied by rule 1 (read-only) of policy task');
    expect(evaluate(narrow(agent, task), { tool: 'http.fetch', input: {} })).toMatchObject({ effect: 'allow', policy: 'task' });
  });
});

describe('childPolicy', () => {
  it('grants a child no more than its own policy and its parent’s delegable grants, and all they share', () => {
    fc.assert(
      fc.property(arbitraryPolicy, arbitraryPolicy, arbitraryCall, (parent, own, call) => {
        const child = evaluate(childPolicy(parent, own), call).effect;
        expect(child).toBe(strictest(evaluate(own, call).effect, delegableEffect(parent, call)));
        expect(strictness(child)).toBeGreaterThanOrEqual(strictness(evaluate(parent, call).effect));
      }),
      runs,
    );
  });

  it('says when a grant stays with the parent', () => {
    const parent: Policy = {
      name: 'parent',
      version: 4,
      rules: [
        { effect: 'ask', tool: 'shell.run' },
        { effect: 'allow', tool: 'workspace.*' },
      ],
      default: 'allow',
    };
    const own: Policy = { name: 'child', rules: [{ effect: 'allow', tool: '*' }], default: 'deny' };
    const child = childPolicy(parent, own);
    expect(evaluate(child, { tool: 'shell.run', input: {} }).reason).toBe('denied by rule 1 of policy parent v4, which a child session does not inherit');
    expect(evaluate(child, { tool: 'workspace.read', input: {} }).reason).toBe(
      'denied by default: no rule a child session inherits of policy parent v4 matches a call to workspace.read',
    );
  });
});

describe('listedToolsPolicy', () => {
  it('allows the agent’s listed tools, to it and its children, and nothing else', () => {
    const policy = listedToolsPolicy({ name: 'demo', tools: ['workspace.read', 'workspace.write'] });
    expect(evaluate(policy, { tool: 'workspace.write', input: { path: 'a' } })).toMatchObject({ effect: 'allow', policy: 'demo-listed-tools' });
    expect(evaluate(policy, { tool: 'http.fetch', input: {} }).effect).toBe('deny');
    const child = childPolicy(policy, listedToolsPolicy({ name: 'helper', tools: ['workspace.read', 'http.fetch'] }));
    expect(tools.filter((tool) => evaluate(child, { tool, input: {} }).effect === 'allow')).toEqual(['workspace.read']);
  });
});
