import { setTimeout as sleep } from 'node:timers/promises';
import { decode } from '@msgpack/msgpack';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { memoryConsolidatorService } from '@signalbox/memory-consolidator';
import { ModelError } from '@signalbox/models';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { MemoryStore, provision } from '@signalbox/store';
import { startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { report } from './report.ts';

const names = naming('sbx');
/** Nothing to read here: a consolidation that called its model would be a bug. */
const models = () => ({
  name: 'unused',
  costOf: () => 0,
  provider: { name: 'unused', complete: () => Promise.reject(new ModelError('invalid_request', 'no model call expected', { retryable: false })) },
});

/** When an armed schedule fires: its body is the consolidator's timer, msgpack `{ store, at }`. */
function firingOf(data: Uint8Array): number {
  return (decode(data) as { at: number }).at;
}

function consolidator(url: string, instance: string, clock: () => number): Promise<Host> {
  return startHost([memoryConsolidatorService({ models, clock })], RuntimeConfig.parse({ natsUrl: url, logLevel: 'silent', instance }));
}

describe("a memory store's consolidation schedule across a restart of every process", () => {
  it('fires after the server and the consolidator came back, for the time it was armed for, and arms the next a period after it', { timeout: 60_000 }, async () => {
    const server = await startNatsServer();
    let nc = await connect({ servers: server.url });
    await provision(nc, names);
    await (await MemoryStore.open(nc, names)).define({ name: 'nightly', agents: ['scribe'], promotion: 'auto', consolidation: { model: 'local/dreamer', sessions: 100, everyMs: 60_000, reads: {}, requireLocalProvider: false } });
    // A consolidator whose clock runs 58 s behind arms the store's first firing two seconds from now.
    let host = await consolidator(server.url, 'before', () => Date.now() - 58_000);
    try {
      const jsm = await jetstreamManager(nc);
      let armedAt = 0;
      while (armedAt === 0) {
        const schedule = await jsm.direct.getMessage(names.streams.timers, { last_by_subj: names.subjects.dreamTimer('nightly') }).catch(() => undefined);
        armedAt = schedule ? firingOf(schedule.data) : 0;
        if (armedAt === 0) await sleep(20);
      }
      await nc.close();
      await host.stop();
      await server.kill();
      const downAt = Date.now();
      expect(downAt).toBeLessThan(armedAt);
      // Down while the firing comes due: nothing runs when it does.
      await sleep(armedAt + 1_000 - Date.now());
      await server.restart();
      const restartedAt = Date.now();
      // Its clock true: were it to arm the store again, the next firing would be a minute away.
      host = await consolidator(server.url, 'after', Date.now);
      nc = await connect({ servers: server.url });
      const memory = await MemoryStore.open(nc, names);
      const jobId = `schedule:nightly:${armedAt}`;
      const deadline = Date.now() + 20_000;
      let run = await memory.run('nightly', jobId);
      while (!run && Date.now() < deadline) {
        await sleep(50);
        run = await memory.run('nightly', jobId);
      }
      const ranAfterRestartMs = Date.now() - restartedAt;
      report('dream-schedule-restart', { downMs: restartedAt - downAt, ranAfterRestartMs });
      expect(run).toMatchObject({ jobId, status: 'nothing-to-read' });
      // And the next firing is armed a minute after the first, not pushed back by the restart.
      const next = await (await jetstreamManager(nc)).direct.getMessage(names.streams.timers, { last_by_subj: names.subjects.dreamTimer('nightly') });
      expect(next && firingOf(next.data)).toBe(armedAt + 60_000);
    } finally {
      await nc.close().catch(() => undefined);
      await host.stop();
      await server.dispose();
    }
  });
});
