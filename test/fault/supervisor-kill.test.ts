import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess } from './processes.ts';
import { report } from './report.ts';

const sessions = 40;
const loopLength = 12;
const partitions = 6;

describe('kill -9 of a supervisor replica', () => {
  it(`loses no supervision and intervenes once per finding in ${sessions} looping sessions, across 3 replicas with one killed`, { timeout: 90_000 }, async () => {
    const server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const scratch = await mkdtemp(join(tmpdir(), 'sbx-supervisor-kill-'));
    const workers: WorkerProcess[] = [];
    try {
      await provision(nc, (await SignalboxClient.open(nc)).names, { eventPartitions: partitions });
      const client = await SignalboxClient.open(nc);
      const env = { NATS_URL: server.url, FAULT_LEDGER: join(scratch, 'ledger'), FAULT_TOOL_MS: '60', SIGNALBOX_EVENT_PARTITIONS: String(partitions), SIGNALBOX_ACK_WAIT_MS: '2000' };
      workers.push(await startWorker(['session-actor', 'permission-broker', 'tool-executor'], { ...env, SIGNALBOX_INSTANCE: 'runtime' }));
      for (const name of ['supervisor-1', 'supervisor-2', 'supervisor-3']) workers.push(await startWorker(['supervisor'], { ...env, SIGNALBOX_INSTANCE: name }));
      // Only nudges: every session runs to its end, nudged at each recurrence of its loop.
      const script = [...Array.from({ length: loopLength }, () => ({ tool: 'fault.poll', input: {} })), { final: 'done' }];
      await client.applyAgent({ name: 'poller', model: 'scripted', tools: ['fault.poll'], budget: { maxSteps: loopLength + 5 }, supervision: { ladder: ['nudge'] }, script });

      const ids = Array.from({ length: sessions }, (_, index) => `poll-${index}`);
      for (const id of ids) await client.submit('poller', { input: 'poll', sessionId: id });
      await sleep(700);
      const unfinishedAtKill = (await client.sessions()).filter((row) => ids.includes(row.sessionId) && row.status === 'running').length;
      await workers[1]!.kill();

      const logs = new Map<string, SessionEvent[]>();
      const deadline = Date.now() + 60_000;
      for (const id of ids) {
        for (;;) {
          const events = await client.events(id);
          if (events.at(-1)?.type === 'session.completed') {
            logs.set(id, events);
            break;
          }
          if (Date.now() > deadline) throw new Error(`session ${id} did not complete`);
          await sleep(200);
        }
      }

      const interventions = [...logs.values()].flatMap((events) => events.filter((event) => event.type === 'supervisor.intervened'));
      const unsupervised = ids.filter((id) => !logs.get(id)!.some((event) => event.type === 'supervisor.intervened' && event.data.detector === 'repetition'));
      const keys = interventions.map((event) => (event.type === 'supervisor.intervened' ? `${event.sessionId}/${event.data.detector}/${event.data.evidence[0]}` : ''));
      const duplicates = keys.filter((key, index) => keys.indexOf(key) !== index);
      report('supervisor-kill', { sessions, loopLength, partitions, unfinishedAtKill, interventions: interventions.length });

      // The kill came while sessions looped, and the loops went on after it.
      expect(unfinishedAtKill).toBeGreaterThan(0);
      // Every looping session was caught, the killed replica's included (its partitions were taken over).
      expect(unsupervised).toStrictEqual([]);
      // Each finding intervened once, though a replica that took a session over is handed it from the start.
      expect(duplicates).toStrictEqual([]);
    } finally {
      await Promise.all(workers.map((worker) => worker.kill()));
      await nc.close();
      await server.dispose();
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
