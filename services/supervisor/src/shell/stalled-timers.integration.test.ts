import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming, type InterventionCommand } from '@signalbox/events';
import { createLogger, createRuntimeMetrics } from '@signalbox/runtime';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dueAt, startStalledFirings, stalledTimers } from './stalled-timers.ts';

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

  it('carry the span of the event that armed them to the firing: the intervention is traced under it, and the message sent carries its span', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const exporter = new InMemorySpanExporter();
    const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
    const sent: Msg[] = [];
    const subscription = nc.subscribe(names.subjects.interventions('traced'), { callback: (_error, message) => void sent.push(message) });
    const firings = await startStalledFirings(nc, names, logger, createRuntimeMetrics('test'), tracer);
    try {
      const timers = stalledTimers(nc, names, logger, Date.now);
      // An event from long ago: its timer fires a moment from now.
      timers.perform({ type: 'ArmStalled', sessionId: 'traced', at: 1, afterMs, command: command('traced') }, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      await timers.drain();
      await vi.waitFor(() => expect(sent).toHaveLength(1), { timeout: 10_000 });
    } finally {
      subscription.unsubscribe();
      await firings.stop();
    }
    const span = exporter.getFinishedSpans().find((finished) => finished.name === 'intervene stalled');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toMatchObject({ 'signalbox.session.id': 'traced', 'signalbox.supervisor.action': 'redrive', 'signalbox.supervisor.evidence': [4] });
    expect(sent[0]?.headers?.get('traceparent')).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span?.spanContext().spanId}-01`);
    expect(warnings).toEqual([]);
  }, 20_000);
});
