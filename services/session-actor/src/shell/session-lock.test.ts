import { describe, expect, it } from 'vitest';
import { KeyedLock } from './session-lock.ts';

describe('KeyedLock', () => {
  it('serialises work per key and lets other keys run alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const step = (label: string, ms: number) => () =>
      new Promise<void>((resolve) => setTimeout(() => (order.push(label), resolve()), ms));
    await Promise.all([lock.run('a', step('a1', 20)), lock.run('a', step('a2', 1)), lock.run('b', step('b1', 5))]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
  });

  it('releases the key when work throws', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('a', () => Promise.resolve('next'))).toBe('next');
  });
});
