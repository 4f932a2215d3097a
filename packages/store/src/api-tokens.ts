import { createHash, randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { z } from 'zod';

/** What a gateway token may do; `admin` implies the others. */
export const ApiTokenScope = z.enum(['read', 'submit', 'approve', 'admin']);
export type ApiTokenScope = z.infer<typeof ApiTokenScope>;

export const ApiTokenName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a token name is lower-case letters, digits, "-" and "_", starting with a letter or digit');

/** One row of the tokens bucket, keyed by the sha256 of the secret: never the secret itself. */
export const ApiTokenRecord = z.object({
  name: ApiTokenName,
  scopes: z.array(ApiTokenScope).min(1),
  createdAt: z.number().int(),
});
export type ApiTokenRecord = z.infer<typeof ApiTokenRecord>;

/** A token just made: its secret, shown once and stored nowhere. */
export interface CreatedApiToken extends ApiTokenRecord {
  secret: string;
}

/** Names the token's kind in a log or a leaked text, as GitHub's `ghp_` does, so scanners can find it. */
const secretPrefix = 'sbxt_';

export class ApiTokenError extends Error {
  override readonly name = 'ApiTokenError';
  readonly code: 'duplicate_name' | 'invalid';
  constructor(code: 'duplicate_name' | 'invalid', message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The key a secret is stored under. A plain sha256 is enough, and no password hash (bcrypt, scrypt) is
 * needed: the secret is 256 random bits, so there is no dictionary to try and a leaked bucket gives
 * nothing to brute-force; and lookup by hash means the secret is never compared byte by byte at all.
 */
export function apiTokenDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * The gateway's bearer tokens in `<prefix>-api-tokens`: who each is and what it may do, by the
 * sha256 of its secret. Only the admin writes it; the gateway reads single keys.
 */
export class ApiTokens {
  readonly #bucket: KV;
  readonly #jsm: JetStreamManager;
  readonly #name: string;

  private constructor(bucket: KV, jsm: JetStreamManager, name: string) {
    this.#bucket = bucket;
    this.#jsm = jsm;
    this.#name = name;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<ApiTokens> {
    const name = names.buckets.apiTokens;
    return new ApiTokens(await new Kvm(nc).open(name), await jetstreamManager(nc), name);
  }

  /** Makes a token of 32 random bytes; the secret is returned here once and kept only hashed. */
  async create(name: string, scopes: readonly ApiTokenScope[], now: number): Promise<CreatedApiToken> {
    const record = ApiTokenRecord.safeParse({ name, scopes: [...new Set(scopes)], createdAt: now });
    if (!record.success) throw new ApiTokenError('invalid', z.prettifyError(record.error), { cause: record.error });
    if ((await this.list()).some((existing) => existing.name === name)) throw new ApiTokenError('duplicate_name', `a token named "${name}" exists: revoke it first`);
    const secret = secretPrefix + randomBytes(32).toString('base64url');
    await this.#bucket.create(apiTokenDigest(secret), JSON.stringify(record.data));
    return { ...record.data, secret };
  }

  /** The token whose secret this is, or undefined for an unknown or revoked one. */
  async verify(secret: string): Promise<ApiTokenRecord | undefined> {
    if (!secret.startsWith(secretPrefix) || secret.length > 128) return undefined;
    const entry = await this.#bucket.get(apiTokenDigest(secret));
    if (entry?.operation !== 'PUT') return undefined;
    const parsed = ApiTokenRecord.safeParse(entry.json());
    return parsed.success ? parsed.data : undefined;
  }

  /** Every token's name, scopes and creation time, by name: never a secret (none is stored). */
  async list(): Promise<ApiTokenRecord[]> {
    return (await this.#entries()).map(({ record }) => record).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Revokes the token `name` (its key and history purged); false when there was none. */
  async revoke(name: string): Promise<boolean> {
    const held = (await this.#entries()).filter(({ record }) => record.name === name);
    await Promise.all(held.map(({ key }) => this.#bucket.purge(key)));
    return held.length > 0;
  }

  /**
   * Every token's key and record. Keys come from the stream's info, not `keys()`, whose consumer the
   * gateway's NATS user would need rights to create (as the memory store lists its keys).
   */
  async #entries(): Promise<{ key: string; record: ApiTokenRecord }[]> {
    const prefix = `$KV.${this.#name}.`;
    const info = await this.#jsm.streams.info(`KV_${this.#name}`, { subjects_filter: `${prefix}>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
    const entries = await Promise.all(keys.map(async (key) => ({ key, entry: await this.#bucket.get(key) })));
    return entries.flatMap(({ key, entry }) => {
      const parsed = entry?.operation === 'PUT' ? ApiTokenRecord.safeParse(entry.json()) : undefined;
      return parsed?.success ? [{ key, record: parsed.data }] : [];
    });
  }
}
