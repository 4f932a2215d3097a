import { describe, expect, it } from 'vitest';
import { DeletionHooks, type DeletionHook } from './deletion-hooks.ts';

const hook = (name: string): DeletionHook => ({ name, deleteSession: async () => undefined });

describe('DeletionHooks', () => {
  it('runs hooks in the order registered, the built-in ones first', () => {
    const hooks = new DeletionHooks([hook('tool-ledger'), hook('snapshots')]);
    hooks.register(hook('memory'));
    expect(hooks.all.map(({ name }) => name)).toEqual(['tool-ledger', 'snapshots', 'memory']);
  });

  it('refuses a second hook of the same name, so a report names each store once', () => {
    const hooks = new DeletionHooks([hook('memory')]);
    expect(() => hooks.register(hook('memory'))).toThrow('a deletion hook named "memory" is already registered');
  });
});
