import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { decode, encode, naming, PermissionReply, type PermissionCheck } from '@signalbox/events';
import { checkGrant } from '@signalbox/policy';
import { connectNats, InProcessPermissions, RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionBrokerService } from './index.ts';

/** One broker answering over NATS and in this process: the same check must get the same answer both ways. */
const names = naming('sbx');
const now = 1_800_000_000_000;
const key = createUser();
const permissions = new InProcessPermissions();
let server: NatsServer;
let nc: NatsConnection;
let host: Host;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'in-process-broker-test');
  await provision(nc, names);
  await (await new Kvm(nc).open(names.buckets.policies)).put('notes', JSON.stringify({ name: 'notes', rules: [{ effect: 'allow', tool: 'workspace.*', args: { path: 'notes/**' } }], default: 'deny' }));
  const config = RuntimeConfig.parse({ natsUrl: server.url, instance: 'broker', logLevel: 'silent', permissionBroker: { nkeySeed: new TextDecoder().decode(key.getSeed()) } });
  host = await startHost([permissionBrokerService({ clock: () => now, inProcess: permissions })], config);
});
afterAll(async () => {
  await host?.stop();
  await nc?.close();
  await server?.dispose();
});

const check = (changes: Record<string, unknown> = {}) => ({ sessionId: 's1', callId: 'c1', tool: 'workspace.read', input: { path: 'notes/plan.md' }, agent: { name: 'writer', tools: [], policy: 'notes' }, ...changes }) as PermissionCheck;

async function overNats(sent: PermissionCheck): Promise<PermissionReply> {
  return decode(PermissionReply, (await nc.request(names.subjects.permissionCheck, encode(sent), { timeout: 5_000 })).data, 'a reply');
}

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let level = 0; level < depth; level++) value = { inner: value };
  return value;
}

describe('a permission broker answering in its own process', () => {
  it('allows with a grant executors can check, as over NATS, and without a request', async () => {
    const here = permissions.answer(check(), undefined);
    expect(here).toEqual(await overNats(check()));
    if (!here || !('verdict' in here) || !here.verdict.grant) throw new Error(`no grant: ${JSON.stringify(here)}`);
    expect(checkGrant(here.verdict.grant, { sessionId: 's1', callId: 'c1', tool: 'workspace.read', input: { path: 'notes/plan.md' } }, new Set([key.getPublicKey()]), now)).toMatchObject({ ok: true });
    expect(permissions.answer(check({ input: { path: 'secrets/key' } }), undefined)).toMatchObject({ verdict: { effect: 'deny', policy: 'notes' } });
  });

  it.each([
    ['a call id longer than the contract allows', { callId: 'c'.repeat(257) }],
    ['a field the contract does not know', { approvedBy: 'mallory' }],
    ['an input one level deeper than input may be', { input: nested(64) }],
    ['an agent that is not an object', { agent: 'writer' }],
  ])('refuses %s with the error a request gets', async (_what, changes) => {
    const here = permissions.answer(check(changes), undefined);
    expect(here).toEqual(await overNats(check(changes)));
    expect(here).toEqual({ error: expect.stringContaining('cannot decode a permission check') });
  });

  it('answers an input nested as deep as input may be, as over NATS', async () => {
    // The check is a container, and the input's 63 inside it make 64, the most input may hold.
    const deepest = check({ input: nested(63) });
    expect(await overNats(deepest)).toMatchObject({ verdict: { effect: 'deny' } });
    expect(permissions.answer(deepest, undefined)).toEqual(await overNats(deepest));
  });
});
