import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decode, InboxCommand, naming, timerHeader, type ToolResult } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWorker } from './durable-worker.ts';
import { createLogger } from './logger.ts';
import { startTimerForwarder } from './timer-forwarder.ts';
import { cancelTimer, InvalidTimerError, scheduleCommand } from './timers.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let forwarder: RunningWorker | undefined;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  jsm = await jetstreamManager(nc);
});
afterEach(async () => {
  await forwarder?.stop();
  forwarder = undefined;
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

async function startForwarder(): Promise<void> {
  forwarder = await startTimerForwarder({ nc, names, logger: createLogger({ service: 'test', instance: 'test', level: 'silent' }) });
}

function result(sessionId: string, callId = 'c1'): ToolResult {
  return { type: 'tool.result', sessionId, callId, tool: 'clock.wait', outcome: { status: 'completed', output: 'ok' }, durationMs: 1 };
}

/** Messages each subject holds in `stream`, by subject. */
async function held(stream: string, filter: string): Promise<Record<string, number>> {
  return (await jsm.streams.info(stream, { subjects_filter: filter })).state.subjects ?? {};
}

async function inboxCount(sessionId: string): Promise<number> {
  return (await held(names.streams.inbox, names.subjects.inbox(sessionId)))[names.subjects.inbox(sessionId)] ?? 0;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('a scheduled command', () => {
  it('reaches the session inbox once, not before its time', async () => {
    await startForwarder();
    const at = Date.now() + 1_000;
    const timerId = await scheduleCommand(nc, names, 'once', at, result('once'));
    await eventually(async () => (await inboxCount('once')) > 0, 'the command');
    await sleep(500);
    expect(await inboxCount('once')).toBe(1);
    const stored = await jsm.streams.getMessage(names.streams.inbox, { last_by_subj: names.subjects.inbox('once') });
    expect(stored?.time.getTime()).toBeGreaterThanOrEqual(at);
    expect(stored?.header.get(timerHeader)).toBe(timerId);
    expect(decode(InboxCommand, stored?.data ?? new Uint8Array(), 'command')).toEqual(result('once'));
    // The firing was acked, and a one-off timer leaves nothing behind.
    await eventually(async () => Object.keys(await held(names.streams.timers, names.subjects.timer(timerId))).length === 0, 'an empty timer');
  });

  it('replaces the timer of the same id', async () => {
    await startForwarder();
    await scheduleCommand(nc, names, 'replaced', Date.now() + 60_000, result('replaced', 'first'), { timerId: 'replace-me' });
    await scheduleCommand(nc, names, 'replaced', Date.now() + 200, result('replaced', 'second'), { timerId: 'replace-me' });
    await eventually(async () => (await inboxCount('replaced')) > 0, 'the command');
    const stored = await jsm.streams.getMessage(names.streams.inbox, { last_by_subj: names.subjects.inbox('replaced') });
    expect(decode(InboxCommand, stored?.data ?? new Uint8Array(), 'command')).toMatchObject({ callId: 'second' });
    expect(await held(names.streams.timers, names.subjects.timer('replace-me'))).toEqual({});
  });
});

describe('a cancelled timer', () => {
  it('never fires when cancelled before its time', async () => {
    const at = Date.now() + 300;
    const timerId = await scheduleCommand(nc, names, 'early-cancel', at, result('early-cancel'));
    await cancelTimer(nc, names, timerId);
    await startForwarder();
    await sleep(at + 700 - Date.now());
    expect(await inboxCount('early-cancel')).toBe(0);
    expect(await held(names.streams.timers, names.subjects.timer(timerId))).toEqual({ [names.subjects.timerCancelled(timerId)]: 1 });
  });

  it('never fires when cancelled after the server fired it, before the forwarder ran', async () => {
    const timerId = await scheduleCommand(nc, names, 'late-cancel', Date.now() + 100, result('late-cancel'));
    await eventually(async () => (await held(names.streams.timers, names.subjects.timerDue(timerId)))[names.subjects.timerDue(timerId)] === 1, 'the firing');
    await cancelTimer(nc, names, timerId);
    await startForwarder();
    await sleep(500);
    expect(await inboxCount('late-cancel')).toBe(0);
  });

  it('drops a firing the forwarder already held when the cancel came', async () => {
    const timerId = 'held-firing';
    await cancelTimer(nc, names, timerId);
    // The firing as the forwarder would have received it before the cancel purged it.
    const firing = { timerId, sessionId: 'held', at: Date.now(), command: result('held') };
    await jetstream(nc).publish(names.subjects.timerDue(timerId), JSON.stringify(firing));
    await startForwarder();
    await eventually(async () => !(names.subjects.timerDue(timerId) in (await held(names.streams.timers, names.subjects.timer(timerId)))), 'the firing acked');
    expect(await inboxCount('held')).toBe(0);
  });

  it('of a recurring timer stops firing', async () => {
    await startForwarder();
    const timerId = await scheduleCommand(nc, names, 'recurring', Date.now() + 100, result('recurring'), { everyMs: 1_000 });
    await eventually(async () => (await inboxCount('recurring')) >= 3, 'three firings', 6_000);
    await cancelTimer(nc, names, timerId);
    await sleep(1_500);
    expect(await inboxCount('recurring')).toBe(3);
    expect(await held(names.streams.timers, names.subjects.timer(timerId))).toEqual({ [names.subjects.timerCancelled(timerId)]: 1 });
  });
});

describe('timer input', () => {
  it.each(['a.b', 'a*', '>', '', 'x'.repeat(101)])('refuses the timer id %j and writes nothing', async (timerId) => {
    const before = (await jsm.streams.info(names.streams.timers)).state.last_seq;
    await expect(scheduleCommand(nc, names, 's1', Date.now(), result('s1'), { timerId })).rejects.toBeInstanceOf(InvalidTimerError);
    await expect(cancelTimer(nc, names, timerId)).rejects.toThrow(/invalid timer/);
    expect((await jsm.streams.info(names.streams.timers)).state.last_seq).toBe(before);
  });

  it('refuses a bad session, time, recurrence or command', async () => {
    const schedule = (sessionId: string, at: number, command: ToolResult, everyMs?: number) =>
      scheduleCommand(nc, names, sessionId, at, command, everyMs === undefined ? {} : { everyMs });
    await expect(schedule('a.b', Date.now(), result('a.b'))).rejects.toThrow(/invalid timer: .*session id/s);
    await expect(schedule('s1', Number.NaN, result('s1'))).rejects.toBeInstanceOf(InvalidTimerError);
    await expect(schedule('s1', Date.now(), result('s1'), 1)).rejects.toBeInstanceOf(InvalidTimerError);
    await expect(schedule('s1', Date.now(), result('s2'))).rejects.toThrow(/another session/);
  });
});
