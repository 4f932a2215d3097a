import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { emptyHead, EventStore, provision, type SessionHead } from '@signalbox/store';
import { startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { syntheticSessionEvents } from '../bench/harness/synthetic-session.ts';
import { startWorker, type WorkerProcess } from './processes.ts';
import { report } from './report.ts';

const replicaScript = fileURLToPath(new URL('./subscriber-process.ts', import.meta.url));
const sessions = 200;
/** `session.created` and two steps of four events. */
const stepsPerSession = 2;
const partitions = 12;

interface Handed {
  replica: string;
  sessionId: string;
  n: number;
  source: 'stream' | 'log';
}

describe('kill -9 of an event subscriber replica', () => {
  it(`hands every event of ${sessions} sessions on, in order, across 3 replicas with one killed`, { timeout: 90_000 }, async () => {
    const server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const names = naming();
    const replicas: WorkerProcess[] = [];
    try {
      await provision(nc, names, { eventPartitions: partitions });
      const store = await EventStore.open(nc, names);
      const handed: Handed[] = [];
      const records = nc.subscribe('fault.handed');
      void (async () => {
        for await (const message of records) handed.push(message.json<Handed>());
      })();
      await nc.flush();

      const env = { NATS_URL: server.url, SIGNALBOX_EVENT_PARTITIONS: String(partitions), SIGNALBOX_ACK_WAIT_MS: '2000' };
      for (const name of ['replica-1', 'replica-2', 'replica-3']) {
        replicas.push(await startWorker([], { ...env, SIGNALBOX_INSTANCE: name }, replicaScript));
      }

      const ids = Array.from({ length: sessions }, (_, index) => `sub-${index}`);
      const logs = new Map(ids.map((id) => [id, syntheticSessionEvents(id, stepsPerSession)]));
      const heads = new Map<string, SessionHead>(ids.map((id) => [id, emptyHead]));
      const eventsPerSession = logs.get(ids[0]!)!.length;
      // One event of every session per round, so every session is mid-log when the replica dies.
      const killedAt = Math.ceil(eventsPerSession / 2);
      let killedReplica = '';
      for (let n = 1; n <= eventsPerSession; n++) {
        await Promise.all(ids.map(async (id) => heads.set(id, await store.append(id, [logs.get(id)![n - 1]!], heads.get(id)!))));
        if (n === killedAt) {
          await sleep(300);
          await replicas[0]!.kill();
          killedReplica = 'replica-1';
        }
        await sleep(150);
      }

      const complete = () => ids.every((id) => handed.some((entry) => entry.sessionId === id && entry.n === eventsPerSession));
      const deadline = Date.now() + 45_000;
      while (!complete() && Date.now() < deadline) await sleep(100);
      await sleep(500);

      const byReplica = Map.groupBy(handed, (entry) => `${entry.replica} ${entry.sessionId}`);
      const outOfOrder = [...byReplica].filter(([, entries]) => entries.some((entry, index) => entry.n !== index + 1)).map(([key]) => key);
      const missing = ids.filter((id) => !handed.some((entry) => entry.sessionId === id && entry.n === eventsPerSession));
      const killedReplicaSessions = ids.filter((id) => handed.some((entry) => entry.sessionId === id && entry.replica === killedReplica)).length;
      const fromLog = handed.filter((entry) => entry.source === 'log').length;
      report('subscriber-kill', { sessions, events: sessions * eventsPerSession, handed: handed.length, killedReplicaSessions, fromLog, partitions });

      // Each replica saw each of its sessions from event 1 on, one by one (earlier ones from the log when it took the session over).
      expect(outOfOrder).toStrictEqual([]);
      // Every session's last event arrived, so, by the above, all of them did.
      expect(missing).toStrictEqual([]);
      // The killed replica had sessions, which the others finished.
      expect(killedReplicaSessions).toBeGreaterThan(0);
      expect(handed.filter((entry) => entry.replica === killedReplica).every((entry) => entry.n <= killedAt)).toBe(true);
    } finally {
      await Promise.all(replicas.map((replica) => replica.kill()));
      await nc.close();
      await server.dispose();
    }
  });
});
