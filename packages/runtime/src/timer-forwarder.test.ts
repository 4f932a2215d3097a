import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { errorHeader, naming, sourceSubjectHeader } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { nextFiring, startTimerForwarder } from './timer-forwarder.ts';

describe('the next firing of a recurring timer', () => {
  it('is one period on when the forwarder keeps up', () => {
    expect(nextFiring(1_000, 500, 1_010)).toBe(1_500);
  });

  it('skips the firings missed while nothing ran, instead of sending them in a burst', () => {
    expect(nextFiring(1_000, 500, 3_200)).toBe(3_500);
    expect(nextFiring(1_000, 500, 3_500)).toBe(4_000);
  });
});

describe('a hostile firing', () => {
  const names = naming('sbx');
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await provision(nc, names);
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
    await server.dispose();
  });

  const command = (sessionId: string) => ({ type: 'tool.result', sessionId, callId: 'c1', tool: 'clock.wait', outcome: { status: 'completed', output: 'ok' }, durationMs: 1 });
  const firing = (timerId: string, sessionId: string) => JSON.stringify({ timerId, sessionId, at: Date.now(), command: command(sessionId) });
  const hostile: Record<string, string> = {
    'sbx.timers.garbage.due': 'not json {',
    'sbx.timers.shape.due': JSON.stringify({ subject: '$JS.API.STREAM.DELETE.SBX_EVENTS', data: 'x' }),
    'sbx.timers.dotted.due': firing('dotted', 'a.b'),
    'sbx.timers.star.due': firing('star', '*'),
    'sbx.timers.elsewhere.due': firing('victim', 's1'),
  };

  it('is dead-lettered with its reason, and nothing is sent anywhere else', async () => {
    const js = jetstream(nc);
    const seen = new Set<string>();
    const watch = nc.subscribe('sbx.>', {
      callback: (_, message) => {
        seen.add(message.subject);
      },
    });
    for (const [subject, body] of Object.entries(hostile)) await js.publish(subject, body);
    // One the server itself fires: it carries the scheduler's headers, which the dead-letter stream refuses.
    await js.publish('sbx.timers.fired.at', 'not json either', { schedule: { specification: new Date(), target: 'sbx.timers.fired.due' } });
    const forwarder = await startTimerForwarder({ nc, names, logger: createLogger({ service: 'test', instance: 'test', level: 'silent' }) });
    try {
      await eventually(async () => (await jsm.streams.info(names.streams.dlq)).state.messages === 6);
      const reasons = await deadLetterReasons(jsm, names.streams.dlq);
      expect(reasons).toEqual({
        'sbx.timers.garbage.due': expect.stringMatching(/JSON/),
        'sbx.timers.shape.due': expect.stringMatching(/cannot decode fired timer: timerId: .*/),
        'sbx.timers.dotted.due': expect.stringMatching(/sessionId: a session id may hold only/),
        'sbx.timers.star.due': expect.stringMatching(/sessionId: a session id may hold only/),
        'sbx.timers.elsewhere.due': 'fired timer "victim" arrived on sbx.timers.elsewhere.due, not on its own subject',
        'sbx.timers.fired.due': expect.stringMatching(/JSON/),
      });
      await eventually(async () => (await jsm.streams.info(names.streams.timers)).state.messages === 0);
      await sleep(200);
      expect([...seen].sort()).toEqual([...Object.keys(hostile), 'sbx.dlq.timers', 'sbx.timers.fired.at'].sort());
      for (const stream of [names.streams.inbox, names.streams.events, names.streams.jobs, names.streams.tasks]) {
        expect((await jsm.streams.info(stream)).state.messages).toBe(0);
      }
    } finally {
      watch.unsubscribe();
      await forwarder.stop();
    }
  });
});

/** Each dead letter's reason, by the subject it came from. */
async function deadLetterReasons(jsm: JetStreamManager, stream: string): Promise<Record<string, string>> {
  const { state } = await jsm.streams.info(stream);
  const reasons: Record<string, string> = {};
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(stream, { seq });
    if (stored) reasons[stored.header.get(sourceSubjectHeader)] = stored.header.get(errorHeader);
  }
  return reasons;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(20);
  }
}
