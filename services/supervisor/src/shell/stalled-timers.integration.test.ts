import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming, type InterventionCommand } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueAt, stalledTimers } from './stalled-timers.ts';

/** Arming stalled timers against a real nats-server, from events stamped by clocks other than the supervisor's. */
const names = naming('sbx');
// The real time, so the schedules armed here are in the future as the server sees it.
const now = Date.now();
const afterMs = 600_000;
const warnings: Record<string, unknown>[] = [];
const logger = createLogger({ service: 'supervisor', instance: 'test', level: 'warn', destination: { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) } });

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

function command(sessionId: string): InterventionCommand {
  return { type: 'intervention', sessionId, detector: 'stalled', action: 'redrive', whileHeadIs: 4, evidence: [4], message: 'recorded nothing' };
}

/** The schedule stored on the session's timer subject: when it fires. */
async function storedSchedule(sessionId: string): Promise<string | undefined> {
  const stored = await (await jetstreamManager(nc)).streams.getMessage(names.streams.timers, { last_by_subj: names.subjects.stalledTimer(sessionId) });
  return stored?.header.get('Nats-Schedule');
}

describe('stalled timers', () => {
  it('fire the wait after the event, a moment from now at the soonest, and the wait from now at the latest', () => {
    expect(dueAt({ at: now + 5_000, afterMs }, now)).toBe(now + 5_000);
    expect(dueAt({ at: now - afterMs * 2, afterMs }, now)).toBe(now + 1_000);
    expect(dueAt({ at: now + afterMs * 100, afterMs }, now)).toBe(now + afterMs);
    expect(dueAt({ at: Number.MAX_SAFE_INTEGER, afterMs: 0 }, now)).toBe(now + 1_000);
  });

  it('arm a session whose actor clock runs far ahead (even past what a schedule can say) at the wait from now, and the server takes it', async () => {
    const timers = stalledTimers(nc, names, logger, () => now);
    // A clock in microseconds, read as milliseconds: the year 58,000.
    timers.perform({ type: 'ArmStalled', sessionId: 'ahead', at: now * 1_000 + afterMs, afterMs, command: command('ahead') });
    await timers.drain();
    expect(warnings).toEqual([]);
    expect(await storedSchedule('ahead')).toBe(`@at ${new Date(now + afterMs).toISOString()}`);
  });
});
