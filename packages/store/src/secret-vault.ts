import { readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { checkedSecretName, openSecret, SealedSecret, sealSecret, SecretUnreadableError, vaultKeyFromText, VaultKeyError, type VaultKey } from './secret-seal.ts';

/** The keys a process holds: the current one seals and opens; the previous one, during a rotation, only opens. */
export interface VaultKeys {
  current?: VaultKey;
  previous?: VaultKey;
}

/** Reads the key files `SIGNALBOX_SECRETS_KEY_FILE` and `SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE` name (each optional). */
export function readVaultKeys(files: { keyFile?: string | undefined; previousKeyFile?: string | undefined }): VaultKeys {
  return {
    ...(files.keyFile === undefined ? {} : { current: vaultKeyInFile(files.keyFile, 'SIGNALBOX_SECRETS_KEY_FILE') }),
    ...(files.previousKeyFile === undefined ? {} : { previous: vaultKeyInFile(files.previousKeyFile, 'SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE') }),
  };
}

export function vaultKeyInFile(path: string, variable: string): VaultKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new VaultKeyError(`${variable}: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
  return vaultKeyFromText(text, `${variable} (${path})`);
}

/** The keys that may open a secret, current first. */
export function openingKeys(keys: VaultKeys): VaultKey[] {
  return [keys.current, keys.previous].filter((key): key is VaultKey => key !== undefined);
}

/**
 * The `<prefix>-secrets` bucket: sealed values by name. Only the admin may write it; executors may
 * read single entries (direct get), nothing else. Nothing here returns a value but `open`.
 */
export class SecretVault {
  readonly #nc: NatsConnection;
  readonly #bucket: KV;
  readonly #stream: string;

  private constructor(nc: NatsConnection, bucket: KV, name: string) {
    this.#nc = nc;
    this.#bucket = bucket;
    this.#stream = `KV_${name}`;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<SecretVault> {
    return new SecretVault(nc, await new Kvm(nc).open(names.buckets.secrets), names.buckets.secrets);
  }

  /** Seals `value` under `key` and stores it as `name`; resolves to the entry's revision. */
  async set(name: string, value: string, key: VaultKey): Promise<number> {
    const revision = await this.#bucket.put(checkedSecretName(name), JSON.stringify(sealSecret(name, value, key)));
    await this.#forgetEarlierRevisions(name);
    return revision;
  }

  /** The names of the stored secrets, sorted: never a value. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.#bucket.keys()) names.push(key);
    return names.sort();
  }

  /** Removes `name` with its history; false when there was none. */
  async delete(name: string): Promise<boolean> {
    const entry = await this.#bucket.get(checkedSecretName(name));
    if (entry?.operation !== 'PUT') return false;
    await this.#bucket.purge(name);
    return true;
  }

  /** The value of `name`, opened with `keys`; a SecretUnreadableError when it is not stored or cannot be opened. */
  async open(name: string, keys: VaultKeys): Promise<string> {
    return (await this.#openWith(name, openingKeys(keys))).value;
  }

  /** `open`, with the revision of the entry opened: a holder that keeps the value re-opens it when the revision moves. */
  async openWithRevision(name: string, keys: VaultKeys): Promise<{ value: string; revision: number }> {
    return this.#openWith(name, openingKeys(keys));
  }

  /** The revision of `name`'s entry (a `set` or a rotation moves it), undefined when it is not stored. Opens nothing. */
  async revision(name: string): Promise<number | undefined> {
    const entry = await this.#bucket.get(checkedSecretName(name));
    return entry?.operation === 'PUT' ? entry.revision : undefined;
  }

  async #openWith(name: string, keys: readonly VaultKey[]): Promise<{ value: string; revision: number }> {
    const entry = await this.#bucket.get(checkedSecretName(name));
    if (entry?.operation !== 'PUT') throw new SecretUnreadableError(`there is no secret ${name} in the vault; set it with signalbox secrets set ${name}`);
    return { value: openSecret(name, parsedRecord(entry.string()), keys), revision: entry.revision };
  }

  /** Which key each stored secret is sealed under (`unreadable` when its record is not one): for doctor. */
  async keyIds(): Promise<{ name: string; keyId: string }[]> {
    const sealed: { name: string; keyId: string }[] = [];
    for (const name of await this.names()) {
      const entry = await this.#bucket.get(name);
      if (entry?.operation !== 'PUT') continue;
      const record = SealedSecret.safeParse(parsedRecord(entry.string()));
      sealed.push({ name, keyId: record.success ? record.data.keyId : 'unreadable' });
    }
    return sealed;
  }

  /**
   * Seals every secret again under `next`, opening each with `keys`. Every secret is opened before any
   * is written, so a secret no key opens stops the rotation with nothing changed. Earlier revisions
   * (sealed under the old key) are purged, so the old key opens nothing that is kept.
   */
  async rotate(keys: VaultKeys, next: VaultKey): Promise<string[]> {
    // The new key opens too: a rotation cut off half-way is run again with the same keys.
    const opening = [...openingKeys(keys), next];
    const values = new Map<string, string>();
    for (const name of await this.names()) values.set(name, (await this.#openWith(name, opening)).value);
    for (const [name, value] of values) await this.set(name, value, next);
    return [...values.keys()];
  }

  /** A secret's history would keep values sealed under a key being retired: only the newest revision stays. */
  async #forgetEarlierRevisions(name: string): Promise<void> {
    const jsm = await jetstreamManager(this.#nc);
    await jsm.streams.purge(this.#stream, { filter: `$KV.${this.#stream.slice(3)}.${name}`, keep: 1 });
  }
}

function parsedRecord(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
