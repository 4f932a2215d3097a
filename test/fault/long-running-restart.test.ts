import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { completedSession, eventsUntil } from '../support/runtime.ts';
import { startWorker } from './processes.ts';
import { report } from './report.ts';

const last = (type: SessionEvent['type']) => (events: readonly SessionEvent[]) => events.at(-1)?.type === type;
const waiter = (name: string, tool: string, input: Record<string, unknown>) => ({ name, model: 'scripted', tools: [tool], budget: { maxSteps: 3 }, script: [{ tool, input }, { final: `${name} is done` }] });

describe('long-running sessions across a kill -9 of every process', () => {
  it('keep their waits, their signals and their conversations: each goes on once after the restart', { timeout: 90_000 }, async () => {
    const server = await startNatsServer();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-long-running-'));
    const env = { NATS_URL: server.url, FAULT_LEDGER: join(dir, 'ledger'), SIGNALBOX_ACK_WAIT_MS: '2000' };
    const services = ['session-actor', 'permission-broker', 'tool-executor'];
    let worker = await startWorker(services, env);
    try {
      let nc = await connect({ servers: server.url });
      let client = await SignalboxClient.open(nc);
      await client.applyAgent(waiter('sleeper', 'wait.time', { seconds: 4 }));
      await client.applyAgent(waiter('listener', 'wait.signal', { name: 'go' }));
      await client.applyAgent({ name: 'chat', model: 'scripted', conversation: { idleTimeoutMs: 600_000 }, script: [{ final: 'one' }, { final: 'two' }] });
      await client.submit('sleeper', { input: 'sleep', sessionId: 'sleeper-1' });
      await client.submit('listener', { input: 'listen', sessionId: 'listener-1' });
      await client.submit('chat', { input: 'hi', sessionId: 'chat-1' });
      await eventsUntil(client, 'sleeper-1', last('permission.granted'));
      const wakeAt = Date.now() + 4_000;
      await eventsUntil(client, 'listener-1', last('permission.granted'));
      await eventsUntil(client, 'chat-1', last('turn.completed'));
      await nc.close();

      await worker.kill();
      await server.kill();
      const downAt = Date.now();
      // Down while the sleeper's wait ends: nothing runs when its timer is due.
      await sleep(Math.max(0, wakeAt + 500 - Date.now()));
      await server.restart();
      const restartedAt = Date.now();
      worker = await startWorker(services, env);

      nc = await connect({ servers: server.url });
      client = await SignalboxClient.open(nc);
      const slept = await completedSession(client, 'sleeper-1', 20_000);
      const wokeAfterRestartMs = Date.now() - restartedAt;
      await client.signal('listener-1', 'go', { payload: 'now' });
      const listened = await completedSession(client, 'listener-1', 20_000);
      await client.send('chat-1', 'and again?');
      await eventsUntil(client, 'chat-1', (events) => events.filter((event) => event.type === 'turn.completed').length === 2, 20_000);
      await client.close('chat-1');
      const chatted = await completedSession(client, 'chat-1', 20_000);
      report('long-running-restart', { downMs: restartedAt - downAt, wokeAfterRestartMs });

      expect(slept.filter((event) => event.type === 'tool.completed')).toMatchObject([{ data: { tool: 'wait.time' } }]);
      expect(listened.filter((event) => event.type === 'tool.completed')).toMatchObject([{ data: { tool: 'wait.signal', output: 'now' } }]);
      expect(chatted.filter((event) => event.type === 'turn.completed').map((event) => event.data.output)).toEqual(['one', 'two']);
      for (const sessionId of ['sleeper-1', 'listener-1', 'chat-1']) expect(await client.check(sessionId)).toMatchObject({ ok: true });
      await nc.close();
    } finally {
      await worker.kill();
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
