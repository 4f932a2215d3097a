import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { drainWithin } from './service.ts';

const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });

describe('drainWithin', () => {
  it('says drained when the stop finishes within the grace', async () => {
    expect(await drainWithin({ stop: async () => undefined }, 1_000, logger)).toBe('drained');
  });

  it('says failed when the stop throws, and does not throw itself', async () => {
    expect(await drainWithin({ stop: () => Promise.reject(new Error('NATS went away')) }, 1_000, logger)).toBe('failed');
  });

  it('says timed out once the grace is out, however long the stop would take', async () => {
    const started = performance.now();
    expect(await drainWithin({ stop: () => new Promise<void>(() => undefined) }, 100, logger)).toBe('timed out');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
