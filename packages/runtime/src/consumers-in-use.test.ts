import type { NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { consumersInUse, holdConsumer } from './consumers-in-use.ts';

/** Only its identity is used: the registry is keyed by connection. */
const connection = () => ({}) as NatsConnection;

describe('consumers in use', () => {
  it('lists what is held on a connection, in order, and forgets what is released', () => {
    const nc = connection();
    const releaseTasks = holdConsumer(nc, { stream: 'SBX_TASKS', durable: 'session-actor-tasks' });
    holdConsumer(nc, { stream: 'SBX_JOBS', durable: 'grader' });
    expect(consumersInUse(nc)).toEqual([
      { stream: 'SBX_JOBS', durable: 'grader' },
      { stream: 'SBX_TASKS', durable: 'session-actor-tasks' },
    ]);
    releaseTasks();
    expect(consumersInUse(nc)).toEqual([{ stream: 'SBX_JOBS', durable: 'grader' }]);
  });

  it('keeps a durable two workers share until both release it, however often one releases', () => {
    const nc = connection();
    const first = holdConsumer(nc, { stream: 'SBX_JOBS', durable: 'grader' });
    const second = holdConsumer(nc, { stream: 'SBX_JOBS', durable: 'grader' });
    first();
    first();
    expect(consumersInUse(nc)).toHaveLength(1);
    second();
    expect(consumersInUse(nc)).toEqual([]);
  });

  it("keeps each connection's apart", () => {
    const [a, b] = [connection(), connection()];
    holdConsumer(a, { stream: 'SBX_JOBS', durable: 'grader' });
    expect(consumersInUse(b)).toEqual([]);
  });
});
