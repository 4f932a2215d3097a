import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision } from './provision.ts';
import { vaultKeyOf } from './secret-seal.ts';
import { readVaultKeys, SecretVault } from './secret-vault.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let vault: SecretVault;
const oldKey = vaultKeyOf(randomBytes(32));
const newKey = vaultKeyOf(randomBytes(32));

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  vault = await SecretVault.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

/** Every message the bucket's stream holds, as text: what anyone with the stream could read. */
async function bucketText(): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(`KV_${names.buckets.secrets}`);
  const texts: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(`KV_${names.buckets.secrets}`, { seq }).catch(() => undefined);
    if (message) texts.push(new TextDecoder().decode(message.data));
  }
  return texts.join('\n');
}

describe('SecretVault', () => {
  it('stores a value sealed, lists names only, opens it with the key, and deletes it with its history', async () => {
    await vault.set('GITHUB_TOKEN', 'ghp_first-value', oldKey);
    await vault.set('GITHUB_TOKEN', 'ghp_second-value', oldKey);
    expect(await vault.names()).toEqual(['GITHUB_TOKEN']);
    expect(await vault.open('GITHUB_TOKEN', { current: oldKey })).toBe('ghp_second-value');
    const stored = await bucketText();
    expect(stored).not.toContain('ghp_');
    expect(stored.split('\n')).toHaveLength(1);
    expect(await vault.delete('GITHUB_TOKEN')).toBe(true);
    expect(await vault.delete('GITHUB_TOKEN')).toBe(false);
    expect(await vault.names()).toEqual([]);
    await expect(vault.open('GITHUB_TOKEN', { current: oldKey })).rejects.toThrow(/there is no secret GITHUB_TOKEN in the vault/);
  });

  it('refuses a name with dots or wildcards before it reaches the bucket', async () => {
    for (const name of ['a.b', 'sbx.>', '*']) {
      await expect(vault.set(name, 'x', oldKey)).rejects.toThrow(/cannot name a secret/);
      await expect(vault.open(name, { current: oldKey })).rejects.toThrow(/cannot name a secret/);
      await expect(vault.delete(name)).rejects.toThrow(/cannot name a secret/);
    }
  });

  it('refuses a sealed value copied under another name', async () => {
    await vault.set('REAL', 'value-of-real', oldKey);
    const bucket = await new Kvm(nc).open(names.buckets.secrets);
    await bucket.put('MOVED', (await bucket.get('REAL'))?.string() ?? '');
    await expect(vault.open('MOVED', { current: oldKey })).rejects.toThrow(/sealed for another name/);
    await vault.delete('REAL');
    await vault.delete('MOVED');
  });

  it('tells the revision of a secret, which every set moves, so a holder of its value knows to open it again', async () => {
    expect(await vault.revision('PROVIDER_KEY')).toBeUndefined();
    const first = await vault.set('PROVIDER_KEY', 'key-one', oldKey);
    expect(await vault.revision('PROVIDER_KEY')).toBe(first);
    expect(await vault.openWithRevision('PROVIDER_KEY', { current: oldKey })).toEqual({ value: 'key-one', revision: first });
    const second = await vault.set('PROVIDER_KEY', 'key-two', oldKey);
    expect(second).toBeGreaterThan(first);
    expect(await vault.openWithRevision('PROVIDER_KEY', { current: oldKey })).toEqual({ value: 'key-two', revision: second });
    await vault.delete('PROVIDER_KEY');
    expect(await vault.revision('PROVIDER_KEY')).toBeUndefined();
  });

  it('rotates: every secret sealed again under the new key, readable with the previous during the change, and nothing under the old key kept', async () => {
    await vault.set('A_TOKEN', 'value-a', oldKey);
    await vault.set('B_TOKEN', 'value-b', oldKey);
    // Readers first take the new key as current and the old one as previous: both open.
    expect(await vault.open('A_TOKEN', { current: newKey, previous: oldKey })).toBe('value-a');
    expect(await vault.rotate({ current: oldKey }, newKey)).toEqual(['A_TOKEN', 'B_TOKEN']);
    expect(await vault.keyIds()).toEqual([{ name: 'A_TOKEN', keyId: newKey.id }, { name: 'B_TOKEN', keyId: newKey.id }]);
    expect(await vault.open('B_TOKEN', { current: newKey })).toBe('value-b');
    await expect(vault.open('B_TOKEN', { current: oldKey })).rejects.toThrow(new RegExp(`sealed under key ${newKey.id}`));
    expect(await bucketText()).not.toContain(`"keyId":"${oldKey.id}"`);
    // Run again (a rotation cut off half-way): it goes through.
    expect(await vault.rotate({ current: oldKey }, newKey)).toEqual(['A_TOKEN', 'B_TOKEN']);
  });

  it('rotates nothing when one secret opens under no key it holds', async () => {
    const stranger = vaultKeyOf(randomBytes(32));
    await vault.set('C_TOKEN', 'value-c', stranger);
    const third = vaultKeyOf(randomBytes(32));
    await expect(vault.rotate({ current: newKey }, third)).rejects.toThrow(/C_TOKEN is sealed under key/);
    expect((await vault.keyIds()).map((entry) => entry.keyId)).toEqual([newKey.id, newKey.id, stranger.id]);
  });
});

describe('readVaultKeys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vault-keys-'));
  it('reads the current and previous key files', () => {
    writeFileSync(join(dir, 'current'), randomBytes(32).toString('base64'));
    writeFileSync(join(dir, 'previous'), `${randomBytes(32).toString('base64')}\n`);
    const keys = readVaultKeys({ keyFile: join(dir, 'current'), previousKeyFile: join(dir, 'previous') });
    expect(keys.current?.id).toMatch(/^[0-9a-f]{8}$/);
    expect(keys.previous?.id).toMatch(/^[0-9a-f]{8}$/);
    expect(readVaultKeys({})).toEqual({});
  });

  it('says which variable names a file that is missing or holds no key', () => {
    expect(() => readVaultKeys({ keyFile: join(dir, 'absent') })).toThrow(/^SIGNALBOX_SECRETS_KEY_FILE: .*absent cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'short'), randomBytes(8).toString('base64'));
    expect(() => readVaultKeys({ previousKeyFile: join(dir, 'short') })).toThrow(/^SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE .*does not hold a vault key/);
  });
});
