import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { providerConfigFromEnv } from '@signalbox/models';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { vaultKeyOf } from '@signalbox/store';
import { anthropicError, anthropicText, startFakeAnthropic, startNatsServer, type FakeAnthropic, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedSession } from '../support/runtime.ts';
import { everyStoredMessage, startCapturedHost, type CapturedLogs } from './bus-state.ts';

/**
 * An agent's provider key from the vault, end to end: the actor runs as deployed (its models from the
 * configuration, the vault key from SIGNALBOX_SECRETS_KEY_FILE), a loopback server speaking the
 * Messages API records the key each request carried, and afterwards no stream, bucket, object store
 * or log line holds any form of either value the vault gave.
 */
const firstKey = `vault-provider-key-${randomBytes(12).toString('base64url')}`;
const rotatedKey = `vault-provider-key-${randomBytes(12).toString('base64url')}`;
const environmentKey = 'sk-ant-api03-from-the-environment-not-the-vault';
const formsOf = (value: string) => [value, Buffer.from(value).toString('base64').replace(/=+$/, ''), Buffer.from(value).toString('base64url'), encodeURIComponent(value)];
const vaultKey = vaultKeyOf(randomBytes(32));

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let fake: FakeAnthropic;
let dir: string;
const logs: CapturedLogs = { lines: [] };
const hosts: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
  dir = mkdtempSync(join(tmpdir(), 'sbx-provider-keys-'));
  const keyFile = join(dir, 'vault.key');
  writeFileSync(keyFile, `${vaultKey.bytes.toString('base64')}\n`, { mode: 0o600 });
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  const models = providerConfigFromEnv({
    ANTHROPIC_API_KEY: environmentKey,
    ANTHROPIC_BASE_URL: fake.baseURL,
    SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }),
  });
  const settings = { logLevel: 'debug', secrets: { keyFile }, models };
  hosts.push(await startCapturedHost(nc, [sessionActorService(), permissionBrokerService()], logs, settings));
  client = await SignalboxClient.open(nc);
  await client.setSecret('ANTHROPIC_PROD_KEY', firstKey, vaultKey);
  await client.applyAgent({ name: 'biller', model: 'anthropic/claude-haiku-4-5', providerKeySecret: 'ANTHROPIC_PROD_KEY' });
  await client.applyAgent({ name: 'orphan', model: 'anthropic/claude-haiku-4-5', providerKeySecret: 'NOT_IN_THE_VAULT' });
}, 30_000);

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  await nc?.close();
  await server?.dispose();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);
const sentKeys = () => fake.requests.map((request) => request.headers['authorization']);

describe("an agent's provider key from the vault", () => {
  it('is what the provider receives, in place of the environment’s', async () => {
    fake.reply(anthropicText('billed to the production key'));
    await client.submit('biller', { input: 'hello', sessionId: 'vault-keyed' });
    const events = await completedSession(client, 'vault-keyed', 20_000);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(sentKeys()).toEqual([`Bearer ${firstKey}`]);
  });

  it('is sent anew once the secret is set again', async () => {
    await client.setSecret('ANTHROPIC_PROD_KEY', rotatedKey, vaultKey);
    fake.reply(anthropicText('billed to the new key'));
    await client.submit('biller', { input: 'hello again', sessionId: 'vault-rotated' });
    await completedSession(client, 'vault-rotated', 20_000);
    expect(sentKeys().at(-1)).toBe(`Bearer ${rotatedKey}`);
  });

  it('is masked where a provider error echoes it, and the session fails for good', async () => {
    fake.reply(anthropicError(401, 'authentication_error', `key ${rotatedKey} (${Buffer.from(`user:${rotatedKey}`).toString('base64')}) revoked`));
    await client.submit('biller', { input: 'one more', sessionId: 'vault-echoed' });
    const events = await completedSession(client, 'vault-echoed', 20_000);
    expect(ofType(events, 'model.failed').map((event) => event.data)).toEqual([
      expect.objectContaining({ code: 'authentication', retryable: false, message: expect.stringContaining('check the vault secret ANTHROPIC_PROD_KEY') }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'failed' } });
  });

  it('fails the session at once, without calling the provider, when the vault does not hold the secret', async () => {
    const calls = fake.requests.length;
    await client.submit('orphan', { input: 'hello', sessionId: 'vault-missing' });
    const events = await completedSession(client, 'vault-missing', 20_000);
    expect(ofType(events, 'model.failed').map((event) => event.data)).toEqual([
      expect.objectContaining({
        code: 'provider_key_unavailable',
        retryable: false,
        message: 'there is no secret NOT_IN_THE_VAULT in the vault; set it with signalbox secrets set NOT_IN_THE_VAULT',
      }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'failed' } });
    expect(fake.requests).toHaveLength(calls);
  });

  it('is in no stream, bucket, object store or log line, in any form', async () => {
    const stored = await everyStoredMessage(nc);
    expect([...stored.keys()]).toEqual(expect.arrayContaining(['SBX_EVENTS', 'SBX_INBOX', 'SBX_DLQ', 'KV_sbx-secrets', 'KV_sbx-sessions', 'KV_sbx-agents', 'KV_sbx-transcripts']));
    expect(stored.get('SBX_EVENTS')).toContain('ANTHROPIC_PROD_KEY');
    const forms = [...formsOf(firstKey), ...formsOf(rotatedKey)];
    const leaks = [...stored].flatMap(([stream, text]) => forms.filter((form) => text.includes(form)).map((form) => `${stream}: ${form}`));
    expect(leaks).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(0);
    const logged = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(forms.filter((form) => logged.includes(form))).toEqual([]);
  });
});
