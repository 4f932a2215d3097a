import { randomBytes } from 'node:crypto';
import { createUser } from '@nats-io/nkeys';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, encode, errorHeader, naming, ToolJob, ToolResult } from '@signalbox/events';
import { signGrant } from '@signalbox/policy';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { EventStore, provision, SecretVault, vaultKeyOf } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, toolExecutorService } from './index.ts';

const names = naming('sbx');
const broker = createUser();
const brokerSeed = new TextDecoder().decode(broker.getSeed());
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let executor: RunningService;
/** An executor that trusts no broker, so it checks no grant. */
let uncheckingExecutor: RunningService;
/** An executor that checks grants but holds no vault key. */
let keylessExecutor: RunningService;
/** What the executor takes for now; an expired grant is one issued long enough before it. */
const now = 1_800_000_000_000;
/** Targets the destructive tool really deleted. */
const deleted: string[] = [];

const destructive = defineTool({
  name: 'ops.delete',
  description: 'Deletes a database (not idempotent)',
  input: z.object({ target: z.string() }),
  idempotent: false,
  run: ({ target }) => (deleted.push(target), `deleted ${target}`),
});

/** Says which hosts its call's grant named, as a tool sees them. */
const namedHostsTool = (name: string) => defineTool({ name, description: 'Names the hosts its grant names', input: z.object({}), run: (_, { namedHosts }) => namedHosts.join(',') || '(none)' });

/** Says what its secret is (unmasked it would be the value; masked, its name), as a tool sees it. */
const secretTool = (name: string) =>
  defineTool({ name, description: 'Returns its token', input: z.object({}), secrets: ['DEPLOY_TOKEN'], run: (_, { secrets }) => `token=${secrets['DEPLOY_TOKEN'] ?? '(none)'}` });
const vaultKey = vaultKeyOf(randomBytes(32));

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'tool-grants-test');
  js = jetstream(nc);
  await provision(nc, names);
  const context = { nc, names, config: RuntimeConfig.parse({}), logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }), store: await EventStore.open(nc, names), metrics: createRuntimeMetrics('test') };
  await (await SecretVault.open(nc, names)).set('DEPLOY_TOKEN', 'deploy-token-value-7e1', vaultKey);
  const vaultKeys = { current: vaultKey };
  executor = await toolExecutorService({ tools: [destructive, namedHostsTool('hosts.checked'), secretTool('vault.checked')], grantSigners: [broker.getPublicKey()], clock: () => now, maxDeliver: 1, vaultKeys }).start(context);
  uncheckingExecutor = await toolExecutorService({ tools: [namedHostsTool('hosts.unchecked'), secretTool('vault.unchecked')], clock: () => now, vaultKeys }).start(context);
  keylessExecutor = await toolExecutorService({ tools: [secretTool('vault.keyless')], grantSigners: [broker.getPublicKey()], clock: () => now, vaultKeys: {} }).start(context);
});
afterAll(async () => {
  await executor?.stop();
  await uncheckingExecutor?.stop();
  await keylessExecutor?.stop();
  await nc?.close();
  await server?.dispose();
});

function job(sessionId: string, input: { target: string }, grantedInput = input, issuedAt = now): ToolJob {
  const call = { sessionId, correlationId: sessionId, callId: 'c1', tool: 'ops.delete', input, idempotencyKey: `${sessionId}/c1`, firstDispatch: true as const };
  return { ...call, grant: signGrant(brokerSeed, { ...call, input: grantedInput }, { issuedAt, policy: 'staging', policyVersion: 2 }) };
}

/** Publishes `job` and resolves to the result its session is sent. */
async function resultOf(sent: ToolJob): Promise<ToolResult> {
  const jsm = await jetstreamManager(nc);
  const { name } = await jsm.consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox(sent.sessionId), ack_policy: AckPolicy.Explicit });
  await js.publish(names.subjects.toolJob(sent.tool), encode(sent));
  const message = await (await js.consumers.get(names.streams.inbox, name)).next({ expires: 5_000 });
  if (!message) throw new Error(`no result for ${sent.sessionId}`);
  message.ack();
  return decode(ToolResult, message.data, 'tool result');
}

/** The reason the dead letter of `sessionId`'s job gives. */
async function deadLetterReason(sessionId: string): Promise<string | undefined> {
  const jsm = await jetstreamManager(nc);
  for (let seq = 1; ; seq++) {
    const stored = await jsm.streams.getMessage(names.streams.dlq, { seq }).catch(() => null);
    if (!stored) return undefined;
    if (decode(ToolJob, stored.data, 'dead tool job').sessionId === sessionId) return stored.header.get(errorHeader);
  }
}

describe('an executor that trusts a permission broker', () => {
  it('runs a job whose grant is for this very call', async () => {
    expect((await resultOf(job('granted', { target: 'staging-db' }))).outcome).toEqual({ status: 'completed', output: 'deleted staging-db' });
    expect(deleted).toEqual(['staging-db']);
  });

  it('refuses a job published around the session actor, without a grant, and dead-letters it with the reason', async () => {
    const { grant: _grant, ...ungranted } = job('around', { target: 'production-db' });
    expect((await resultOf(ungranted)).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('the job carries no grant from the permission broker') });
    expect(await deadLetterReason('around')).toBe('ops.delete call c1 of session around refused: the job carries no grant from the permission broker');
    expect(deleted).toEqual(['staging-db']);
  });

  it('refuses a granted job whose input was altered on the way', async () => {
    expect((await resultOf(job('altered', { target: 'production-db' }, { target: 'staging-db' }))).outcome).toMatchObject({ status: 'failed' });
    expect(await deadLetterReason('altered')).toMatch(/refused: the grant is for another input than the job carries$/);
    expect(deleted).toEqual(['staging-db']);
  });

  it('refuses a job replayed after its grant expired', async () => {
    const replayed = job('replayed', { target: 'staging-db' }, undefined, now - 11 * 60 * 1000);
    expect((await resultOf(replayed)).outcome).toMatchObject({ status: 'failed' });
    expect(await deadLetterReason('replayed')).toMatch(/refused: the grant expired at .*; a call dispatched again asks the broker again$/);
    expect(deleted).toEqual(['staging-db']);
  });
});

describe('the hosts a grant names', () => {
  /** A job for `tool` granted with `namedHosts`. */
  function hostsJob(sessionId: string, tool: string): ToolJob {
    const call = { sessionId, correlationId: sessionId, callId: 'c1', tool, input: {}, idempotencyKey: `${sessionId}/c1`, firstDispatch: true as const };
    return { ...call, grant: signGrant(brokerSeed, call, { issuedAt: now, policy: 'staging', namedHosts: ['db.internal', '127.0.0.1'] }) };
  }

  it('reach the tool once the executor has checked the grant', async () => {
    expect((await resultOf(hostsJob('hosts-checked', 'hosts.checked'))).outcome).toEqual({ status: 'completed', output: 'db.internal,127.0.0.1' });
  });

  it('do not reach it from an executor that checks no grant: anyone who may publish a job could have written them', async () => {
    expect((await resultOf(hostsJob('hosts-unchecked', 'hosts.unchecked'))).outcome).toEqual({ status: 'completed', output: '(none)' });
  });
});

describe('the secrets a grant names', () => {
  function secretJob(sessionId: string, tool: string): ToolJob {
    const call = { sessionId, correlationId: sessionId, callId: 'c1', tool, input: {}, idempotencyKey: `${sessionId}/c1`, firstDispatch: true as const };
    return { ...call, grant: signGrant(brokerSeed, call, { issuedAt: now, policy: 'deploy', secrets: ['DEPLOY_TOKEN'] }) };
  }

  it('are opened for the call once the executor has checked the grant, and its output is masked', async () => {
    expect((await resultOf(secretJob('vault-checked', 'vault.checked'))).outcome).toEqual({ status: 'completed', output: 'token=[secret:DEPLOY_TOKEN]' });
  });

  it('are not opened by an executor that checks no grant, though it holds the key: anyone who may publish a job could have written them', async () => {
    expect((await resultOf(secretJob('vault-unchecked', 'vault.unchecked'))).outcome).toEqual({
      status: 'failed',
      error: 'vault.unchecked needs the secret DEPLOY_TOKEN: this executor checks no grants (SIGNALBOX_GRANT_SIGNERS), so it opens no secret',
    });
  });

  it('fail the call, naming the secret, on an executor that holds no vault key', async () => {
    expect((await resultOf(secretJob('vault-keyless', 'vault.keyless'))).outcome).toEqual({
      status: 'failed',
      error: 'vault.keyless needs the secret DEPLOY_TOKEN, which cannot be opened: this executor holds no vault key: set SIGNALBOX_SECRETS_KEY_FILE',
    });
  });

  it('cannot be added to a grant after it was signed', async () => {
    const unsigned = signGrant(brokerSeed, { ...secretJob('vault-forged', 'vault.checked') }, { issuedAt: now, policy: 'deploy' });
    const forged = { ...secretJob('vault-forged', 'vault.checked'), grant: { ...unsigned, secrets: ['DEPLOY_TOKEN'] } };
    expect((await resultOf(forged)).outcome).toMatchObject({ status: 'failed' });
    expect(await deadLetterReason('vault-forged')).toMatch(/refused: the grant's signature does not match its claims$/);
  });
});
