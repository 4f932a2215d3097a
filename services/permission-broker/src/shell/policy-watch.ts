import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import { parseJson, Policy, validate } from '@signalbox/events';
import type { Logger, ServiceContext } from '@signalbox/runtime';
import { watchBucket } from '@signalbox/store';
import type { PolicyChange } from '../core/policy-book.ts';

export interface PolicyWatch {
  stop(): Promise<void>;
}

/**
 * Hands every change of the policies bucket to `onChange`, and resolves once the bucket's current
 * values are in: a replica that answered before then would deny what a stored policy allows. Should
 * the watch end or fail later, `onLost` says why: the policies held may then be out of date.
 */
export async function watchPolicies(context: ServiceContext, onChange: (change: PolicyChange) => void, onLost: (reason: string) => void): Promise<PolicyWatch> {
  const { logger } = context;
  const kv = await new Kvm(context.nc).open(context.names.buckets.policies);
  const watch = await watchBucket(
    kv,
    'the policies bucket',
    (entry) => onChange(changeOf(entry, logger)),
    (reason, error) => {
      logger.error({ err: error }, `${reason}; the policies held may be out of date, so checks are answered with an error`);
      onLost(reason);
    },
  );
  const failure = await watch.current;
  if (failure !== undefined) throw new Error(`${failure} before it had read the bucket`);
  return { stop: () => watch.stop() };
}

/** A key's new value, as a policy; one deleted, purged or unreadable is no policy at all. */
function changeOf(entry: KvWatchEntry, logger: Logger): PolicyChange {
  const name = entry.key;
  if (entry.operation !== 'PUT') return { type: 'PolicyRemoved', name };
  try {
    const policy = validate(Policy, parseJson(entry.value, `policy "${name}"`), `policy "${name}"`);
    if (policy.name !== name) throw new Error(`the policy stored under "${name}" is named "${policy.name}"`);
    return { type: 'PolicyStored', policy, revision: entry.revision };
  } catch (error) {
    // Agents that name it are denied every call, as if it were not stored, until a valid one is applied.
    logger.warn({ err: error, policy: name, revision: entry.revision }, 'a stored policy cannot be read; treating it as not applied');
    return { type: 'PolicyRemoved', name };
  }
}
