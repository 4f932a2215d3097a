import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { encode, maxCancelledCalls, naming, type CallsCancelled, type InterruptCommand } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ToolInterruptedError } from './execute.ts';
import { hearInterrupts } from './interrupts-heard.ts';
import { RunningCalls } from './running-calls.ts';

const names = naming('sbx');
const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });
let server: NatsServer;
let nc: NatsConnection;
let running: RunningCalls;
let subscriptions: Subscription[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterEach(() => {
  for (const subscription of subscriptions) subscription.unsubscribe();
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

async function hearing(): Promise<void> {
  running = new RunningCalls({ cancellationWaitMs: 50 });
  subscriptions = hearInterrupts(nc, names, running, logger);
  await nc.flush();
}

/** Publishes, then waits until an interrupt sent after it is heard: what came before it has been handled. */
async function sent(subject: string, body: Uint8Array): Promise<void> {
  nc.publish(subject, body);
  const marker = await running.begin('marker', 'm1');
  nc.publish(names.subjects.interrupt('marker'), encode({ type: 'interrupt', sessionId: 'marker', by: 'test', reason: '', interruptId: 'm' } satisfies InterruptCommand));
  await expect.poll(() => marker.signal.aborted).toBe(true);
  marker.end();
}

const cancelled = (sessionId: string, calls: string[]): CallsCancelled => ({ type: 'calls.cancelled', sessionId, by: 'cli:ann', calls });

describe('an executor hearing interrupts', () => {
  it('stops a running call on the interrupt, and begins the calls the actor named as cancelled already stopped', async () => {
    await hearing();
    const call = await running.begin('s1', 'c1');
    await sent(names.subjects.interrupt('s1'), encode({ type: 'interrupt', sessionId: 's1', by: 'cli:ann', reason: '', interruptId: 'i1' } satisfies InterruptCommand));
    expect(call.signal.reason).toBeInstanceOf(ToolInterruptedError);
    await sent(names.subjects.cancelledCalls('s1'), encode(cancelled('s1', ['c2'])));
    const later = await running.begin('s1', 'c2');
    expect(later.signal.aborted).toBe(true);
    expect(String(later.signal.reason)).toContain('interrupted by cli:ann');
    expect((await running.begin('s1', 'c3')).signal.aborted).toBe(false);
  });

  it.each([
    ['not msgpack', new TextEncoder().encode('{"calls":["c1"]')],
    ['another session than its subject names', encode(cancelled('other', ['c1']))],
    ['too many calls', encode(cancelled('s2', Array.from({ length: maxCancelledCalls + 1 }, (_, index) => `c${index}`)))],
    ['a call id too long', encode(cancelled('s2', ['c'.repeat(513)]))],
    ['an unknown field', encode({ ...cancelled('s2', ['c1']), run: 'rm -rf /' })],
  ])('ignores a list of cancelled calls with %s', async (_what, body) => {
    await hearing();
    await sent(names.subjects.cancelledCalls('s2'), body);
    expect((await running.begin('s2', 'c1')).signal.aborted).toBe(false);
    expect((await running.begin('other', 'c1')).signal.aborted).toBe(false);
  });
});
