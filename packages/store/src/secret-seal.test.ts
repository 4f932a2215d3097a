import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maxSecretBytes, openSecret, sealSecret, SecretUnreadableError, vaultKeyFromText, VaultKeyError, vaultKeyOf } from './secret-seal.ts';

const key = vaultKeyOf(randomBytes(32));
const otherKey = vaultKeyOf(randomBytes(32));
const value = 'ghp_canary-7Q2w9E4r';

describe('a sealed secret', () => {
  it('opens under the key it names, to the value sealed', () => {
    const sealed = sealSecret('GITHUB_TOKEN', value, key);
    expect(sealed).toMatchObject({ v: 1, alg: 'aes-256-gcm', keyId: key.id });
    expect(JSON.stringify(sealed)).not.toContain(value);
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(value).toString('base64'));
    expect(openSecret('GITHUB_TOKEN', sealed, [otherKey, key])).toBe(value);
  });

  it('names its key by the first 8 hex of the key’s sha256, which differs between keys', () => {
    expect(key.id).toMatch(/^[0-9a-f]{8}$/);
    expect(key.id).not.toBe(otherKey.id);
  });

  it('does not open without its key, and says which key it needs, never the value', () => {
    const sealed = sealSecret('GITHUB_TOKEN', value, key);
    expect(() => openSecret('GITHUB_TOKEN', sealed, [otherKey])).toThrow(new RegExp(`sealed under key ${key.id}, which this process does not hold \\(it holds: ${otherKey.id}\\)`));
    expect(() => openSecret('GITHUB_TOKEN', sealed, [])).toThrow(SecretUnreadableError);
  });

  it('does not open under a wrong key that claims the right id', () => {
    const sealed = sealSecret('GITHUB_TOKEN', value, key);
    const impostor = { id: key.id, bytes: otherKey.bytes };
    expect(() => openSecret('GITHUB_TOKEN', sealed, [impostor])).toThrow(/does not open under key .*altered, or sealed for another name/);
  });

  it('does not open once tampered with: ciphertext, tag or iv', () => {
    const sealed = sealSecret('GITHUB_TOKEN', value, key);
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64');
    };
    for (const field of ['ciphertext', 'tag', 'iv'] as const) {
      expect(() => openSecret('GITHUB_TOKEN', { ...sealed, [field]: flip(sealed[field]) }, [key])).toThrow(SecretUnreadableError);
    }
  });

  it('does not open under another name: the name is bound into the additional data', () => {
    const sealed = sealSecret('GITHUB_TOKEN', value, key);
    expect(() => openSecret('NPM_TOKEN', sealed, [key])).toThrow(/sealed for another name/);
  });

  it('refuses what is not a sealed record', () => {
    for (const garbage of [undefined, 'text', { v: 2 }, { ...sealSecret('A', 'b', key), extra: 1 }]) {
      expect(() => openSecret('A', garbage, [key])).toThrow(/is not a sealed record/);
    }
  });

  it('refuses names with dots, wildcards, spaces or nothing, an empty value and a huge one', () => {
    for (const name of ['a.b', '*', '>', 'A B', '', '1ABC', 'x'.repeat(129), 'TOKEN\n']) expect(() => sealSecret(name, value, key)).toThrow(/cannot name a secret/);
    expect(() => sealSecret('A', '', key)).toThrow(/is empty/);
    expect(() => sealSecret('A', 'x'.repeat(maxSecretBytes + 1), key)).toThrow(new RegExp(`at most ${maxSecretBytes}`));
    expect(openSecret('A', sealSecret('A', 'é'.repeat(maxSecretBytes / 2), key), [key])).toHaveLength(maxSecretBytes / 2);
  });
});

describe('a vault key in text', () => {
  it('is 32 bytes of base64, white space around it ignored', () => {
    const bytes = randomBytes(32);
    expect(vaultKeyFromText(`${bytes.toString('base64')}\n`, 'the file').id).toBe(vaultKeyOf(bytes).id);
  });

  it('is refused when it is anything else, naming where it came from but not its content', () => {
    for (const text of ['', 'not base64 at all!', randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
      expect(() => vaultKeyFromText(text, 'SIGNALBOX_SECRETS_KEY_FILE (/k)')).toThrow(VaultKeyError);
      expect(() => vaultKeyFromText(text, 'SIGNALBOX_SECRETS_KEY_FILE (/k)')).toThrow(/^SIGNALBOX_SECRETS_KEY_FILE \(\/k\) does not hold a vault key/);
    }
  });
});
