import { createHash } from 'node:crypto';
import { MemoryStoreName, parseJson, SessionId, storedLimits, validate } from '@signalbox/events';
import { z } from 'zod';
import { MemoryStoreError } from './memory-errors.ts';

/**
 * A store's keys in `sbx-memory`, each beginning with its name (one key token, checked first):
 * `<store>.definition`, `<store>.head`, `<store>.v.<n>` (a version; a large one's parts below it),
 * `<store>.read` (sessions consolidated) and `<store>.run.<digest of job id>` (a dream job's record:
 * a job id may hold characters no key may).
 */
export const memoryKeys = {
  definition: (store: string) => `${storeToken(store)}.definition`,
  head: (store: string) => `${storeToken(store)}.head`,
  version: (store: string, version: number) => `${storeToken(store)}.v.${version}`,
  read: (store: string) => `${storeToken(store)}.read`,
  run: (store: string, jobId: string) => `${storeToken(store)}.run.${createHash('sha256').update(jobId).digest('hex').slice(0, 32)}`,
  allDefinitions: '*.definition',
  allHeads: '*.head',
};

/** A store's name as a key token, or a refusal: never a `.`, `*` or `>` that would reach another store's keys. */
export function storeToken(store: string): string {
  const parsed = MemoryStoreName.safeParse(store);
  if (!parsed.success) throw new MemoryStoreError('invalid_store_name', `"${store.slice(0, 80)}" is not a memory store name: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * The store's head: the promoted version in use (0: none yet), the last version number given out, and
 * a promotion or rejection under way. Every change of a store moves this key by its revision, so
 * changes are one at a time; one under way is finished by whoever finds it (see MemoryStore).
 */
export const HeadRecord = z.strictObject({
  head: z.number().int().min(0),
  last: z.number().int().min(0),
  pending: z.strictObject({ kind: z.enum(['promote', 'reject']), version: z.number().int().min(1), by: z.string().min(1).max(200), at: z.number().int() }).optional(),
});
export type HeadRecord = z.infer<typeof HeadRecord>;

export const emptyHeadRecord: HeadRecord = { head: 0, last: 0 };

/** Sessions a consolidation of the store has read. */
export const ReadRecord = z.strictObject({ sessions: z.array(SessionId) });

/** JSON, so a person can read (and, at their risk, edit) a value with `nats kv get`. */
export function encodeRecord(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A stored value as `schema`, or a DecodeError naming what it is and its key: a hand-edited value fails here, not deep inside. */
export function decodeRecord<S extends z.ZodType>(schema: S, bytes: Uint8Array, what: string, key: string): z.infer<S> {
  return validate(schema, parseJson(bytes, `${what} (key ${key} of the memory bucket)`, storedLimits), `${what} (key ${key} of the memory bucket)`);
}
