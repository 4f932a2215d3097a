import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { naming, type ToolResult } from '@signalbox/events';
import { cancelTimer, scheduleCommand } from '@signalbox/runtime';
import { startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { startWorker } from './processes.ts';
import { report } from './report.ts';

const names = naming('sbx');

function result(sessionId: string): ToolResult {
  return { type: 'tool.result', sessionId, callId: 'c1', tool: 'clock.wait', outcome: { status: 'completed', output: 'ok' }, durationMs: 1 };
}

describe('a timer across a kill -9 of every process', () => {
  it('fires once after the restart, and a cancelled one never', { timeout: 60_000 }, async () => {
    const server = await startNatsServer();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-timers-'));
    const env = { NATS_URL: server.url, FAULT_LEDGER: join(dir, 'ledger'), SIGNALBOX_ACK_WAIT_MS: '2000' };
    // The worker provisions the streams as it starts.
    let forwarder = await startWorker(['timer-forwarder'], env);
    try {
      let nc = await connect({ servers: server.url });
      const at = Date.now() + 1_500;
      await scheduleCommand(nc, names, 'survivor', at, result('survivor'));
      await cancelTimer(nc, names, await scheduleCommand(nc, names, 'cancelled', at, result('cancelled')));
      await nc.close();

      await forwarder.kill();
      await server.kill();
      const downAt = Date.now();
      // Down before the timer came due, so it is due while nothing runs.
      expect(downAt).toBeLessThan(at);
      await sleep(at + 1_000 - Date.now());
      await server.restart();
      const restartedAt = Date.now();
      forwarder = await startWorker(['timer-forwarder'], env);

      nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      const held = async (sessionId: string) => (await jsm.streams.info(names.streams.inbox, { subjects_filter: names.subjects.inbox(sessionId) })).state.subjects?.[names.subjects.inbox(sessionId)] ?? 0;
      const deadline = Date.now() + 15_000;
      while ((await held('survivor')) === 0 && Date.now() < deadline) await sleep(20);
      const deliveredAfterRestartMs = Date.now() - restartedAt;
      // Long enough for a second delivery, had the firing been sent twice.
      await sleep(1_000);
      const survivor = await held('survivor');
      const cancelled = await held('cancelled');
      await nc.close();
      report('timers-restart', { downMs: restartedAt - downAt, deliveredAfterRestartMs, survivor, cancelled });
      expect(survivor).toBe(1);
      expect(cancelled).toBe(0);
    } finally {
      await forwarder.kill();
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
