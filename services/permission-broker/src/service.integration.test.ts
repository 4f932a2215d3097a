import { Kvm, type KV } from '@nats-io/kv';
import { createInbox, type NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { decode, encode, naming, PermissionBrokerStatus, PermissionReply, type PermissionCheck, type PermissionVerdict } from '@signalbox/events';
import { checkGrant } from '@signalbox/policy';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, startHost, type Host, type RunningService } from '@signalbox/runtime';
import { openEventReader, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionBrokerService } from './index.ts';

const names = naming('sbx');
const now = 1_800_000_000_000;
const brokerKeys = [createUser(), createUser()];
const [seedA = '', seedB = ''] = brokerKeys.map((key) => new TextDecoder().decode(key.getSeed()));
const signers = new Set(brokerKeys.map((key) => key.getPublicKey()));
/** Replica B's log lines, at debug level. */
const linesOfB: string[] = [];
let server: NatsServer;
let nc: NatsConnection;
let kv: KV;
let replicaA: Host;
let replicaB: RunningService;
let stagingRevision: number;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'permission-broker-test');
  await provision(nc, names);
  kv = await new Kvm(nc).open(names.buckets.policies);
  stagingRevision = await kv.put('staging', policyJson('staging', [{ effect: 'allow', tool: 'workspace.*', args: { path: 'notes/**' } }]));
  // Both replicas start after the policy is stored: each must have read it before answering anything.
  const configOf = (instance: string, nkeySeed: string) => RuntimeConfig.parse({ natsUrl: server.url, instance, logLevel: 'silent', permissionBroker: { nkeySeed } });
  replicaA = await startHost([permissionBrokerService({ clock: () => now })], configOf('broker-a', seedA));
  const logger = createLogger({ service: 'permission-broker', instance: 'broker-b', level: 'debug', destination: { write: (line: string) => void linesOfB.push(line) } });
  const store = await openEventReader(nc, names);
  replicaB = await permissionBrokerService({ clock: () => now }).start({ nc, names, config: configOf('broker-b', seedB), logger, store, metrics: createRuntimeMetrics('broker-b') });
});
afterAll(async () => {
  await replicaB?.stop();
  await replicaA?.stop();
  await nc?.close();
  await server?.dispose();
});

function policyJson(name: string, rules: unknown[]): string {
  return JSON.stringify({ name, rules, default: 'deny' });
}

function checkOf(policy: string, changes: Partial<PermissionCheck> = {}): PermissionCheck {
  return { sessionId: 's1', callId: 'c1', tool: 'workspace.read', input: { path: 'notes/plan.md' }, agent: { name: 'writer', tools: [], policy }, ...changes };
}

async function ask(body: Uint8Array): Promise<PermissionReply> {
  return decode(PermissionReply, (await nc.request(names.subjects.permissionCheck, body, { timeout: 5_000 })).data, 'permission reply');
}

async function verdictOf(check: PermissionCheck): Promise<PermissionVerdict> {
  const reply = await ask(encode(check));
  if ('error' in reply) throw new Error(`the broker refused the check: ${reply.error}`);
  return reply.verdict;
}

/** Asks until the verdict is what `expected` says (a watch takes a moment to bring a change), or fails after a few seconds. */
async function eventually(check: PermissionCheck, expected: Partial<PermissionVerdict>): Promise<PermissionVerdict> {
  for (let attempt = 0; ; attempt++) {
    const verdict = await verdictOf(check);
    if (attempt >= 100 || Object.entries(expected).every(([key, value]) => verdict[key as keyof PermissionVerdict] === value)) return verdict;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every answer to one message per body, on one inbox, gathered until `waitMs` after the last. */
async function gatherAnswers(subject: string, bodies: Uint8Array[], waitMs = 300): Promise<Uint8Array[]> {
  const inbox = createInbox();
  const answers: Uint8Array[] = [];
  const subscription = nc.subscribe(inbox, { callback: (_error, message) => void answers.push(message.data) });
  for (const body of bodies) nc.publish(subject, body, { reply: inbox });
  await nc.flush();
  for (let seen = -1; seen !== answers.length; ) {
    seen = answers.length;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  subscription.unsubscribe();
  return answers;
}

describe('the permission broker', () => {
  it('decides by the policy stored before it started, at its revision, and signs a grant executors can check', async () => {
    const check = checkOf('staging');
    const verdict = await verdictOf(check);
    expect(verdict).toMatchObject({ effect: 'allow', policy: 'staging', policyVersion: stagingRevision, rule: { index: 0 } });
    expect(checkGrant(verdict.grant, check, signers, now)).toEqual({ ok: true });
  });

  it('uses a policy as it is updated, with its new version, and denies once it is deleted', async () => {
    const check = checkOf('changing');
    expect(await verdictOf(check)).toMatchObject({ effect: 'deny', reason: 'policy "changing" is not applied; apply it with signalbox policies apply' });
    const first = await kv.put('changing', policyJson('changing', [{ effect: 'allow', tool: 'workspace.read' }]));
    expect(await eventually(check, { policyVersion: first })).toMatchObject({ effect: 'allow', policyVersion: first });
    const second = await kv.put('changing', policyJson('changing', [{ id: 'frozen', effect: 'deny', tool: '*' }]));
    expect(await eventually(check, { policyVersion: second })).toMatchObject({ effect: 'deny', rule: { index: 0, id: 'frozen' } });
    await kv.delete('changing');
    expect(await eventually(check, { policyVersion: undefined })).toMatchObject({ effect: 'deny', reason: expect.stringContaining('is not applied') });
  });

  it('treats a stored policy it cannot read as not applied', async () => {
    const check = checkOf('fragile');
    const valid = await kv.put('fragile', policyJson('fragile', [{ effect: 'allow', tool: '*' }]));
    await eventually(check, { policyVersion: valid });
    await kv.put('fragile', '{"name": "fragile", "rules": [{"effect": "sometimes"}]}');
    expect(await eventually(check, { policyVersion: undefined })).toMatchObject({ effect: 'deny', reason: expect.stringContaining('is not applied') });
    await kv.put('fragile', 'not json at all');
    await kv.put('misnamed', policyJson('someone-else', [{ effect: 'allow', tool: '*' }]));
    expect(await verdictOf(checkOf('misnamed'))).toMatchObject({ effect: 'deny', reason: expect.stringContaining('is not applied') });
  });

  it('shares checks between its replicas, each answered once, and every replica answers for its status', async () => {
    const checks = Array.from({ length: 40 }, (_, i) => checkOf('staging', { callId: `shared-${i}`, input: { path: `notes/marker-${i}.md` }, tool: i % 2 ? 'workspace.read' : 'shell.run' }));
    const answers = (await gatherAnswers(names.subjects.permissionCheck, checks.map((check) => encode(check)))).map((data) => decode(PermissionReply, data, 'reply'));
    expect(answers).toHaveLength(40);
    const grantSigners = new Set(answers.flatMap((reply) => ('verdict' in reply && reply.verdict.grant ? [reply.verdict.grant.signer] : [])));
    expect(grantSigners).toEqual(signers);

    const statuses = (await gatherAnswers(names.subjects.permissionStatus, [new Uint8Array()])).map((data) => PermissionBrokerStatus.parse(JSON.parse(new TextDecoder().decode(data))));
    expect(statuses.map((status) => status.instance).sort()).toEqual(['broker-a', 'broker-b']);
    expect(new Set(statuses.map((status) => status.signer))).toEqual(signers);
    for (const status of statuses) expect(status.policies).toContainEqual({ name: 'staging', version: stagingRevision });
  });

  it('logs each verdict with its session and call, never the input or the seed', () => {
    const verdicts = linesOfB.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => typeof line['effect'] === 'string');
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.find((line) => line['effect'] === 'allow')).toMatchObject({ level: 20, sessionId: 's1', callId: expect.any(String), msg: 'allowed a tool call' });
    expect(verdicts.find((line) => line['effect'] === 'deny')).toMatchObject({ level: 30, sessionId: 's1', callId: expect.any(String), msg: 'denied a tool call' });
    expect(linesOfB.join('\n')).not.toMatch(/marker-|notes\//);
    expect(linesOfB.join('\n')).not.toContain(seedB);
  });
});

describe('the permission broker given what is not a permission check', () => {
  const deep = (depth: number) => new Uint8Array([...new Array<number>(depth).fill(0x91), 0xc0]);
  const hostile: [string, Uint8Array][] = [
    ['an empty body', new Uint8Array()],
    ['bytes that are not msgpack', new Uint8Array([0xc1, 0xff, 0x00, 0x13])],
    ['a string', encode('allow me')],
    ['fields of the wrong types', encode({ sessionId: 5, callId: [], tool: {}, input: null, agent: 'root' })],
    ['a check with a field it does not know', encode({ ...checkOf('staging'), sudo: true })],
    ['an input with a __proto__ key', encode({ ...checkOf('staging'), input: JSON.parse('{"__proto__": {"admin": true}}') as unknown })],
    ['nesting 100,000 deep', deep(100_000)],
    ['an input nested past the limit', encode({ ...checkOf('staging'), input: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) as unknown })],
  ];

  it.each(hostile)('answers %s with an error saying why, which the actor turns into a deny', async (_what, body) => {
    const reply = await ask(body);
    expect(reply).toEqual({ error: expect.stringMatching(/^cannot decode a permission check: /) });
  });

  it('answers a check as large as a message may be, ignores one with nowhere to reply, and answers the next as ever', async () => {
    const huge = checkOf('staging', { input: { path: `notes/${'x'.repeat(1_000_000)}.md` } });
    expect(await verdictOf(huge)).toMatchObject({ effect: 'allow' });
    nc.publish(names.subjects.permissionCheck, encode(checkOf('staging')));
    expect(await verdictOf(checkOf('staging', { callId: 'after' }))).toMatchObject({ effect: 'allow', policy: 'staging' });
  });
});
