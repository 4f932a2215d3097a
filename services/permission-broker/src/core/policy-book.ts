import { assertNever, type PermissionBrokerStatus, type Policy } from '@signalbox/events';

/**
 * The policies a broker holds, by name, as the policies bucket has them: each with `version` set to
 * its key's revision, so a verdict names the very version that decided it.
 */
export type PolicyBook = ReadonlyMap<string, Policy>;

/** What the bucket's watch reports, read and validated by the shell. */
export type PolicyChange = { type: 'PolicyStored'; policy: Policy; revision: number } | { type: 'PolicyRemoved'; name: string };

export function emptyBook(): PolicyBook {
  return new Map();
}

/** Folds one change of the bucket into the book: a new copy, so a check being decided keeps the book it began with. */
export function evolveBook(book: PolicyBook, change: PolicyChange): PolicyBook {
  const next = new Map(book);
  switch (change.type) {
    case 'PolicyStored':
      next.set(change.policy.name, { ...change.policy, version: change.revision });
      return next;
    case 'PolicyRemoved':
      next.delete(change.name);
      return next;
    default:
      return assertNever(change);
  }
}

/** What a replica tells `doctor`: who it is, the key it signs with, the policies it holds by name. */
export function brokerStatus(instance: string, signer: string | undefined, book: PolicyBook): PermissionBrokerStatus {
  const policies = [...book.values()]
    .map((policy) => ({ name: policy.name, version: policy.version ?? 1 }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return signer === undefined ? { instance, policies } : { instance, signer, policies };
}
