import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SecretName } from '@signalbox/events';
import { z } from 'zod';

/** The longest secret value the vault keeps: a token or a key, not a file. */
export const maxSecretBytes = 64 * 1024;

/** A vault master key: 32 bytes, and the id a sealed record names it by (no use to anyone without the key). */
export interface VaultKey {
  readonly id: string;
  readonly bytes: Buffer;
}

const KeyId = z.string().regex(/^[0-9a-f]{8}$/);
const Base64 = z.string().max(2 * maxSecretBytes).regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** A secret as the vault stores it: AES-256-GCM under the key `keyId` names, the name bound in as additional data. */
export const SealedSecret = z.strictObject({
  v: z.literal(1),
  alg: z.literal('aes-256-gcm'),
  keyId: KeyId,
  iv: Base64,
  ciphertext: Base64,
  tag: Base64,
});
export type SealedSecret = z.infer<typeof SealedSecret>;

/** A key that is not 32 bytes of base64, or a file that cannot be read. Names the file or variable, never the key. */
export class VaultKeyError extends Error {
  override readonly name = 'VaultKeyError';
  readonly code = 'invalid_vault_key';
}

/** A secret that cannot be opened: no key it was sealed under, tampered with, or moved to another name. Never holds the value. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
  readonly code = 'secret_unreadable';
}

/** A name or a value the vault refuses (empty, too long, a name with dots or wildcards). */
export class InvalidSecretError extends Error {
  override readonly name = 'InvalidSecretError';
  readonly code = 'invalid_secret';
}

/** The key in `text` (base64 of 32 bytes, white space around it ignored); `where` names its source in the error. */
export function vaultKeyFromText(text: string, where: string): VaultKey {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length !== 32) {
    throw new VaultKeyError(`${where} does not hold a vault key: 32 random bytes in base64 (make one with: openssl rand -base64 32)`);
  }
  return vaultKeyOf(bytes);
}

export function vaultKeyOf(bytes: Uint8Array): VaultKey {
  if (bytes.length !== 32) throw new VaultKeyError(`a vault key is 32 bytes, not ${bytes.length}`);
  const copy = Buffer.from(bytes);
  return { id: createHash('sha256').update(copy).digest('hex').slice(0, 8), bytes: copy };
}

/** The name is checked where it is used as a KV key too: a dot or a wildcard would address other keys. */
export function checkedSecretName(name: string): string {
  const parsed = SecretName.safeParse(name);
  if (!parsed.success) throw new InvalidSecretError(`"${name.slice(0, 140)}" cannot name a secret: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function sealSecret(name: string, value: string, key: VaultKey, iv: Uint8Array = randomBytes(12)): SealedSecret {
  checkedSecretName(name);
  const plain = Buffer.from(value, 'utf8');
  if (plain.length === 0) throw new InvalidSecretError(`the value of ${name} is empty`);
  if (plain.length > maxSecretBytes) throw new InvalidSecretError(`the value of ${name} is ${plain.length} bytes; the vault keeps at most ${maxSecretBytes}`);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(additionalData(name));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { v: 1, alg: 'aes-256-gcm', keyId: key.id, iv: Buffer.from(iv).toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** The value sealed under `name`, with whichever of `keys` it names; anything else is a SecretUnreadableError. */
export function openSecret(name: string, sealed: unknown, keys: readonly VaultKey[]): string {
  const record = SealedSecret.safeParse(sealed);
  if (!record.success) throw new SecretUnreadableError(`the stored secret ${name} is not a sealed record; set it again`);
  const key = keys.find((candidate) => candidate.id === record.data.keyId);
  if (key === undefined) {
    const held = keys.map((candidate) => candidate.id).join(', ') || 'none';
    throw new SecretUnreadableError(`the secret ${name} is sealed under key ${record.data.keyId}, which this process does not hold (it holds: ${held})`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(record.data.iv, 'base64'));
    decipher.setAAD(additionalData(name));
    decipher.setAuthTag(Buffer.from(record.data.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(record.data.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SecretUnreadableError(`the secret ${name} does not open under key ${key.id}: it was altered, or sealed for another name`, { cause: error });
  }
}

/** Binds the record to its name: a sealed value copied under another name does not open. */
function additionalData(name: string): Buffer {
  return Buffer.from(`signalbox-secret/v1/${name}`, 'utf8');
}
