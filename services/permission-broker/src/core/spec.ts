import { createUser } from '@nats-io/nkeys';
import { PermissionCheck, Policy, type PermissionVerdict } from '@signalbox/events';
import { expect } from 'vitest';
import type { z } from 'zod';
import { emptyBook, evolveBook, type PolicyChange } from './policy-book.ts';
import { decidePermission } from './verdict.ts';

export const now = 1_800_000_000_000;
export const grantTtlMs = 120_000;
const broker = createUser();
export const brokerSeed = new TextDecoder().decode(broker.getSeed());
export const brokerKey = broker.getPublicKey();

/** A policy as `signalbox policies apply` stores it, at `revision` of its key. */
export function stored(policy: Partial<Policy> & Pick<Policy, 'name'>, revision: number): PolicyChange {
  return { type: 'PolicyStored', policy: Policy.parse({ rules: [], ...policy }), revision };
}

/** A check of session s1's call c1, by an agent that names no policy unless `changes` says otherwise. */
export function check(changes: Partial<z.input<typeof PermissionCheck>> = {}): PermissionCheck {
  return PermissionCheck.parse({
    sessionId: 's1',
    callId: 'c1',
    tool: 'workspace.read',
    input: { path: 'notes/plan.md' },
    agent: { name: 'writer', tools: ['workspace.read'] },
    ...changes,
  });
}

/** An expected verdict: any of its fields, each as any part of it. */
export type ExpectedVerdict = { [Field in keyof PermissionVerdict]?: unknown };

/** given(the bucket's changes).when(a check).then(the verdict): the broker's specs, with no NATS and no mocks. */
export function given(changes: PolicyChange[], options: { signs?: boolean } = {}) {
  const policies = changes.reduce(evolveBook, emptyBook());
  const signing = options.signs === true ? { seed: brokerSeed, ttlMs: grantTtlMs } : undefined;
  return {
    when(asked: PermissionCheck) {
      const verdict = decidePermission(asked, signing === undefined ? { policies, now } : { policies, signing, now });
      return {
        verdict,
        then(expected: ExpectedVerdict) {
          expect(verdict).toMatchObject(expected);
          return verdict;
        },
      };
    },
  };
}
