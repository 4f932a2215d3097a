import type { KV } from '@nats-io/kv';
import { Policy, PolicyName } from '@signalbox/events';

/** A policy in the policies bucket: its name, and its version, the key's revision there. */
export interface PolicyVersion {
  name: PolicyName;
  version: number;
}

/**
 * Stores a policy under its name; the new revision is its version. A `version` in `definition` is
 * dropped: the store assigns versions, and a policy printed by `policies show` (which carries its
 * version) may then be edited and applied as it is.
 */
export async function putPolicy(bucket: KV, definition: unknown): Promise<PolicyVersion> {
  const { version: _given, ...policy } = Policy.parse(definition);
  const version = await bucket.put(policy.name, JSON.stringify(policy));
  return { name: policy.name, version };
}

/** The stored policy `name` with its version, or undefined when there is none (or `name` cannot be one). */
export async function readPolicy(bucket: KV, name: string): Promise<Policy | undefined> {
  if (!PolicyName.safeParse(name).success) return undefined;
  const entry = await bucket.get(name);
  if (entry?.operation !== 'PUT') return undefined;
  const parsed = Policy.safeParse(entry.json());
  if (!parsed.success) throw new Error(`the stored policy ${name} (version ${entry.revision}) is not a valid policy: ${parsed.error.message}; apply it again`);
  return { ...parsed.data, version: entry.revision };
}

/** The policies among `keys` that are stored now (not deleted), with their versions, by name. */
export async function policyVersions(bucket: KV, keys: readonly string[]): Promise<PolicyVersion[]> {
  const entries = await Promise.all(keys.filter((key) => PolicyName.safeParse(key).success).map((key) => bucket.get(key)));
  return entries
    .flatMap((entry) => (entry?.operation === 'PUT' ? [{ name: entry.key, version: entry.revision }] : []))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
