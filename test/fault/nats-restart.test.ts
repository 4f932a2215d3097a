import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { SignalboxClient } from '@signalbox/client';
import { naming, type SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { EventStore } from '@signalbox/store';
import { startNatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectWholeSession } from './invariants.ts';
import { report } from './report.ts';

const sessions = 80;
const waitTool = defineTool({
  name: 'clock.wait',
  description: 'Waits a while',
  input: z.object({ ms: z.number() }),
  run: async ({ ms }) => new Promise<string>((resolve) => setTimeout(() => resolve(`waited ${ms} ms`), ms)),
});
const waiter = {
  name: 'waiter',
  model: 'scripted',
  tools: ['clock.wait'],
  script: [...Array.from({ length: 4 }, () => ({ tool: 'clock.wait', input: { ms: 150 } })), { final: 'done waiting' }],
};

describe('a nats-server restart mid-run', () => {
  it('loses no acknowledged event, and work resumes by itself', { timeout: 120_000 }, async () => {
    const server = await startNatsServer();
    const config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'restart', ackWaitMs: 2_000 });
    const host = await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [waitTool] })], config);
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      const client = await SignalboxClient.open(nc);
      await client.applyAgent(waiter);
      // Every event a live tail sees is stored, so acknowledged: all of them must survive the crash.
      const seen = new Map<string, SessionEvent[]>();
      const watching = new AbortController();
      const watcher = (async () => {
        const store = await EventStore.open(nc, naming());
        for await (const event of store.tailAll({ signal: watching.signal })) {
          seen.set(event.sessionId, [...(seen.get(event.sessionId) ?? []), event]);
        }
      })().catch(() => undefined);
      const js = jetstream(nc);
      await Promise.all(
        Array.from({ length: sessions }, (_, i) => js.publish('sbx.tasks.waiter', JSON.stringify({ input: 'wait', sessionId: `r-${i}` }))),
      );

      // Let some work happen, then crash the server mid-run.
      await waitUntil(async () => [...seen.values()].reduce((sum, log) => sum + log.length, 0) >= sessions * 4, 10_000);
      watching.abort();
      await watcher;
      const before = new Map(seen);
      const acknowledged = [...before.values()].reduce((sum, log) => sum + log.length, 0);
      const completedBefore = [...before.values()].filter((log) => log.at(-1)?.type === 'session.completed').length;
      await server.kill();
      await server.restart();

      const logs = new Map<string, SessionEvent[]>();
      await waitUntil(async () => {
        for (let i = 0; i < sessions; i++) {
          const id = `r-${i}`;
          if (logs.get(id)?.at(-1)?.type === 'session.completed') continue;
          logs.set(id, await client.events(id));
        }
        return [...logs.values()].every((log) => log.at(-1)?.type === 'session.completed');
      }, 60_000);

      const total = [...logs.values()].reduce((sum, log) => sum + log.length, 0);
      report('nats-restart', { sessions, acknowledgedBeforeRestart: acknowledged, completedBeforeRestart: completedBefore, eventsAfter: total });
      expect(completedBefore).toBeLessThan(sessions);
      for (const [id, log] of logs) {
        expectWholeSession(log);
        // Everything acknowledged before the crash is still there, unchanged.
        const acked = before.get(id) ?? [];
        expect(log.slice(0, acked.length)).toEqual(acked);
      }
    } finally {
      await nc.close();
      await host.stop();
      await server.dispose();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // The server may be down or the client reconnecting: look again shortly.
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
