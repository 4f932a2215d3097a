import { checkGrant } from '@signalbox/policy';
import { describe, expect, it } from 'vitest';
import { brokerKey, check, given, grantTtlMs, now, stored } from './spec.ts';

const staging = stored(
  {
    name: 'staging',
    rules: [
      { effect: 'allow', tool: 'workspace.*', args: { path: 'notes/**' } },
      { id: 'no-secrets', effect: 'deny', tool: 'workspace.*', args: { path: 'secrets/**' } },
      { effect: 'allow', tool: 'http.fetch', url: { host: 'Metadata.Internal' } },
      { effect: 'allow', tool: 'http.fetch', url: { host: '127.0.0.1' } },
      { effect: 'allow', tool: 'http.fetch', url: { host: '*' } },
    ],
  },
  7,
);
const withStaging = { agent: { name: 'writer', tools: [], policy: 'staging' } };
const fetch = (url: string) => ({ ...withStaging, tool: 'http.fetch', input: { url } });

describe('the agent’s policy', () => {
  it('is the stored policy the agent names, at the revision of its key', () => {
    given([stored({ name: 'staging', rules: [] }, 3), staging])
      .when(check(withStaging))
      .then({ effect: 'allow', policy: 'staging', policyVersion: 7, rule: { index: 0 }, reason: 'allowed by rule 1 of policy staging v7' });
  });

  it('denies every call of an agent whose named policy is not stored: it fails closed, and says how to fix it', () => {
    const verdict = given([]).when(check(withStaging)).then({ effect: 'deny', policy: 'staging' });
    expect(verdict.reason).toBe('policy "staging" is not applied; apply it with signalbox policies apply');
    expect(verdict.grant).toBeUndefined();
  });

  it('is gone once its key is deleted', () => {
    const verdict = given([staging, { type: 'PolicyRemoved', name: 'staging' }], { signs: true }).when(check(withStaging)).then({ effect: 'deny' });
    expect(verdict.grant).toBeUndefined();
  });

  it('is the tools the agent lists when it names none: those allowed, anything else denied', () => {
    given([staging]).when(check()).then({ effect: 'allow', policy: 'writer-listed-tools' });
    given([staging])
      .when(check({ tool: 'shell.run', input: { command: 'ls' } }))
      .then({ effect: 'deny', reason: 'denied by default: no rule of policy writer-listed-tools matches a call to shell.run' });
  });

  it('decides by its rules: a matching deny wins, naming the rule', () => {
    given([staging])
      .when(check({ ...withStaging, input: { path: 'secrets/prod.token' } }))
      .then({ effect: 'deny', rule: { index: 1, id: 'no-secrets' }, policyVersion: 7 });
  });
});

describe('a task’s policy', () => {
  const readOnly = { name: 'read-only', rules: [{ effect: 'allow' as const, tool: 'workspace.read' }, { effect: 'allow' as const, tool: 'workspace.write' }] };

  it('narrows the agent’s: a call both allow is allowed, by the task’s rule', () => {
    given([staging]).when(check({ ...withStaging, taskPolicy: readOnly })).then({ effect: 'allow', policy: 'read-only' });
  });

  it('cannot widen it: what the agent’s policy denies stays denied, whatever the task allows', () => {
    given([staging])
      .when(check({ ...withStaging, tool: 'workspace.write', input: { path: 'secrets/prod.token' }, taskPolicy: readOnly }))
      .then({ effect: 'deny', policy: 'staging', rule: { index: 1, id: 'no-secrets' } });
    given([])
      .when(check({ tool: 'shell.run', input: { command: 'ls' }, taskPolicy: { name: 'open', rules: [], default: 'allow' } }))
      .then({ effect: 'deny', policy: 'writer-listed-tools' });
  });

  it('cannot stand in for an agent policy that is not stored', () => {
    given([]).when(check({ ...withStaging, taskPolicy: { name: 'open', rules: [], default: 'allow' } })).then({ effect: 'deny', policy: 'staging' });
  });
});

describe('grants', () => {
  it('come with an allow from a broker that signs: for this call, this input, valid for the configured time', () => {
    const asked = check(withStaging);
    const { grant } = given([staging], { signs: true }).when(asked).then({ effect: 'allow' });
    expect(grant).toMatchObject({ sessionId: 's1', callId: 'c1', tool: 'workspace.read', issuedAt: now, ttlMs: grantTtlMs, policy: 'staging', policyVersion: 7, signer: brokerKey });
    const call = { sessionId: 's1', callId: 'c1', tool: 'workspace.read', input: asked.input };
    expect(checkGrant(grant, call, new Set([brokerKey]), now + grantTtlMs)).toEqual({ ok: true });
    expect(checkGrant(grant, { ...call, input: { path: 'notes/other.md' } }, new Set([brokerKey]), now)).toMatchObject({ ok: false });
  });

  it('never come with a deny or an ask, nor from a broker without a seed', () => {
    const ask = stored({ name: 'staging', rules: [{ effect: 'ask', tool: '*' }] }, 1);
    expect(given([ask], { signs: true }).when(check(withStaging)).then({ effect: 'ask' }).grant).toBeUndefined();
    expect(given([staging], { signs: true }).when(check({ tool: 'shell.run' })).then({ effect: 'deny' }).grant).toBeUndefined();
    expect(given([staging]).when(check(withStaging)).then({ effect: 'allow' }).grant).toBeUndefined();
  });

  it('name the host of the deciding rule when the rule writes it out, whatever its case, so http.fetch may reach it', () => {
    given([staging], { signs: true }).when(check(fetch('http://127.0.0.1:8080/health'))).then({ effect: 'allow', rule: { index: 3 }, grant: { namedHosts: ['127.0.0.1'] } });
    given([staging], { signs: true }).when(check(fetch('http://metadata.internal/latest'))).then({ rule: { index: 2 }, grant: { namedHosts: ['metadata.internal'] } });
  });

  it('name no host when a glob allowed the call: `*` names nothing', () => {
    const { grant } = given([staging], { signs: true }).when(check(fetch('https://example.com/'))).then({ effect: 'allow', rule: { index: 4 } });
    expect(grant).toBeDefined();
    expect(grant?.namedHosts).toBeUndefined();
    const star = stored({ name: 'staging', rules: [{ effect: 'allow', tool: 'http.fetch', url: { host: '*' } }] }, 2);
    expect(given([star], { signs: true }).when(check(fetch('http://169.254.169.254/'))).verdict.grant?.namedHosts).toBeUndefined();
  });

  it('name only what the deciding rule writes out: a `*` rule before the one naming the host decides, and names nothing', () => {
    const starFirst = stored({ name: 'staging', rules: [{ effect: 'allow', tool: 'http.fetch', url: { host: '*' } }, { effect: 'allow', tool: 'http.fetch', url: { host: '127.0.0.1' } }] }, 2);
    const { grant } = given([starFirst], { signs: true }).when(check(fetch('http://127.0.0.1/'))).then({ effect: 'allow', rule: { index: 0 } });
    expect(grant?.namedHosts).toBeUndefined();
  });

  it('name no host that only a task’s rule writes out where the agent’s policy allows it by a glob', () => {
    const agentGlob = stored({ name: 'staging', rules: [{ effect: 'allow', tool: 'http.fetch', url: { host: '*' } }] }, 2);
    const taskPolicy = { name: 'task', rules: [{ effect: 'allow' as const, tool: 'http.fetch', url: { host: '169.254.169.254' } }] };
    const { grant } = given([agentGlob], { signs: true }).when(check({ ...fetch('http://169.254.169.254/'), taskPolicy })).then({ effect: 'allow' });
    expect(grant?.namedHosts).toBeUndefined();
    const bothName = stored({ name: 'staging', rules: [{ effect: 'allow', tool: 'http.fetch', url: { host: '169.254.169.254' } }] }, 3);
    given([bothName], { signs: true }).when(check({ ...fetch('http://169.254.169.254/'), taskPolicy })).then({ grant: { namedHosts: ['169.254.169.254'] } });
  });
});

describe('the host a grant names', () => {
  const allowing = (host: string) => stored({ name: 'staging', rules: [{ effect: 'allow', tool: 'http.fetch', url: { host } }] }, 1);
  const namedBy = (host: string, url: string) => given([allowing(host)], { signs: true }).when(check(fetch(url))).then({ effect: 'allow' }).grant?.namedHosts;

  it('is the pattern as a URL gives the host: lower case, escapes undone', () => {
    expect(namedBy('METADATA.internal', 'http://metadata.internal/')).toEqual(['metadata.internal']);
    expect(namedBy('\\[::1\\]', 'http://[::1]:8080/')).toEqual(['[::1]']);
  });

  it('is none for a pattern with any glob in it', () => {
    for (const host of ['169.254.169.2?4', '{169.254.169.254,example.com}', '169.254.169.25[0-9]', '!example.com', '**']) {
      expect(namedBy(host, 'http://169.254.169.254/')).toBeUndefined();
    }
  });
});

describe('the secrets a grant carries', () => {
  const vaultPolicy = (revision = 1) =>
    stored({ name: 'deployer', secrets: ['GITHUB_TOKEN', 'NPM_TOKEN'], rules: [{ effect: 'allow', tool: 'http.fetch', url: { host: '*' } }, { effect: 'deny', tool: 'prod.*' }] }, revision);
  const asDeployer = (extra: object = {}) => check({ agent: { name: 'writer', tools: [], policy: 'deployer' }, tool: 'http.fetch', input: { url: 'https://api.github.com/' }, ...extra });

  it('are the secrets the agent’s policy grants, on an allowed call', () => {
    given([vaultPolicy()], { signs: true }).when(asDeployer()).then({ effect: 'allow', grant: { secrets: ['GITHUB_TOKEN', 'NPM_TOKEN'] } });
  });

  it('are those every layer names: a task’s policy can drop one, never add one, and one that names none grants none', () => {
    const rules = [{ effect: 'allow' as const, tool: '*' }];
    const narrowing = { name: 'task', rules, secrets: ['GITHUB_TOKEN', 'AWS_SECRET'] };
    given([vaultPolicy()], { signs: true }).when(asDeployer({ taskPolicy: narrowing })).then({ grant: { secrets: ['GITHUB_TOKEN'] } });
    const silent = given([vaultPolicy()], { signs: true }).when(asDeployer({ taskPolicy: { name: 'task', rules } })).then({ effect: 'allow' });
    expect(silent.grant?.secrets).toBeUndefined();
  });

  it('are none for an agent without a policy (its listed tools), and none on a refused call', () => {
    const listed = given([], { signs: true }).when(check()).then({ effect: 'allow' });
    expect(listed.grant?.secrets).toBeUndefined();
    const refused = given([vaultPolicy()], { signs: true }).when(asDeployer({ tool: 'prod.deploy', input: {} })).then({ effect: 'deny' });
    expect(refused.grant).toBeUndefined();
  });

  it('are covered by the signature: a grant whose secrets are changed does not hold', () => {
    const { grant } = given([vaultPolicy()], { signs: true }).when(asDeployer()).verdict;
    const call = { sessionId: 's1', callId: 'c1', tool: 'http.fetch', input: { url: 'https://api.github.com/' } };
    expect(checkGrant(grant, call, new Set([brokerKey]), now)).toEqual({ ok: true });
    const widened = grant && { ...grant, secrets: [...(grant.secrets ?? []), 'AWS_SECRET'] };
    expect(checkGrant(widened, call, new Set([brokerKey]), now)).toEqual({ ok: false, reason: "the grant's signature does not match its claims" });
  });
});

describe('an approved call', () => {
  const guarded = stored(
    {
      name: 'staging',
      rules: [
        { id: 'people-deploy', effect: 'ask', tool: 'deploy.*', approvalTimeoutMs: 600_000 },
        { id: 'never-prod', effect: 'deny', tool: 'deploy.prod' },
        { effect: 'allow', tool: 'workspace.read' },
      ],
    },
    4,
  );
  const deploy = (tool: string, extra: object = {}) => check({ ...withStaging, tool, input: { ref: 'main' }, ...extra });
  const approved = { approved: { approvalId: 's1:0123456789ab', by: 'cli:ops' } };

  it('is held for a person first, for as long as the asking rule says', () => {
    const verdict = given([guarded], { signs: true }).when(deploy('deploy.staging')).then({ effect: 'ask', rule: { index: 0, id: 'people-deploy' }, approvalTimeoutMs: 600_000 });
    expect(verdict.grant).toBeUndefined();
  });

  it('is allowed once approved, with a grant for that call, saying who approved it', () => {
    const verdict = given([guarded], { signs: true }).when(deploy('deploy.staging', approved)).then({ effect: 'allow', rule: { index: 0 }, grant: { callId: 'c1', tool: 'deploy.staging', policy: 'staging' } });
    expect(verdict.reason).toBe('held for approval by rule 1 (people-deploy) of policy staging v4; approved by cli:ops (approval s1:0123456789ab)');
    expect(verdict.approvalTimeoutMs).toBeUndefined();
  });

  it('stays denied where the policy denies: an approval turns an ask, nothing else', () => {
    const verdict = given([guarded], { signs: true }).when(deploy('deploy.prod', approved)).then({ effect: 'deny', rule: { index: 1 } });
    expect(verdict.grant).toBeUndefined();
    given([guarded]).when(deploy('shell.run', approved)).then({ effect: 'deny' });
  });

  it('is refused as a check when the approval id is not one (a hostile or garbled check)', () => {
    expect(() => deploy('deploy.staging', { approved: { approvalId: '../x', by: 'cli:ops' } })).toThrow(/approval id/);
    expect(() => deploy('deploy.staging', { approved: { approvalId: 's1:0123456789ab', by: '' } })).toThrow();
  });
});
