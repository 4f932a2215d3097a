import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from './policy-files.ts';

const staging = 'name: staging\nrules:\n  - { effect: allow, tool: "workspace.*" }\n  - { effect: ask, tool: http.fetch, url: { host: "*.internal" } }\n';

describe('parsePolicyFile', () => {
  it('reads one policy or several, with the default effect filled in', () => {
    const one = parsePolicyFile('p.yaml', staging);
    expect(one).toMatchObject({ ok: true, policies: [{ name: 'staging', default: 'deny', rules: [{ effect: 'allow' }, { effect: 'ask' }] }] });
    const several = parsePolicyFile('p.yaml', `${staging}---\nname: open\ndefault: allow\nrules: []\n`);
    expect(several.ok && several.policies.map((policy) => [policy.name, policy.default])).toEqual([
      ['staging', 'deny'],
      ['open', 'allow'],
    ]);
    expect(parsePolicyFile('p.json', JSON.stringify([{ name: 'a', rules: [] }]))).toMatchObject({ ok: true, policies: [{ name: 'a' }] });
  });

  it('gives each schema problem its own line, with the file, line and column of the field', () => {
    const text = 'name: Staging\nrules:\n  - effect: maybe\n    tool: http.fetch\n    colour: blue\n';
    expect(parsePolicyFile('policies/p.yaml', text)).toEqual({
      ok: false,
      problems: [
        'policies/p.yaml:1:7: name: a policy name is lower-case letters, digits, "-" and "_", starting with a letter or digit',
        'policies/p.yaml:3:13: rules[0].effect: Invalid option: expected one of "allow"|"ask"|"deny"',
        'policies/p.yaml:5:5: rules[0].colour: unknown field',
      ],
    });
  });

  it('names the policy of several a problem is in, and refuses a syntax error with its place', () => {
    expect(parsePolicyFile('p.yaml', `${staging}---\nname: open\n`)).toEqual({ ok: false, problems: ['p.yaml:6:1: policy "open": rules: is required'] });
    expect(parsePolicyFile('p.yaml', 'name: x\nrules: [{ effect: allow, tool: a }\n')).toEqual({ ok: false, problems: ['p.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]'] });
    expect(parsePolicyFile('p.yaml', '')).toEqual({ ok: false, problems: ['p.yaml: holds no policy'] });
  });
});
