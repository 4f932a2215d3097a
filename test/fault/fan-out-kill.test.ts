import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { anthropicText, anthropicToolUse, startFakeAnthropic, startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { completedSession, eventsUntil } from '../support/runtime.ts';
import { startWorker } from './processes.ts';
import { report } from './report.ts';

const specialists = 20;

describe('a fan-out of twenty specialists across a kill -9 of every worker', () => {
  it('completes the tree, every child once, with every log contiguous', { timeout: 120_000 }, async () => {
    const server = await startNatsServer();
    const anthropic = await startFakeAnthropic();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-fan-out-'));
    const env = {
      NATS_URL: server.url,
      FAULT_LEDGER: join(dir, 'ledger'),
      SIGNALBOX_ACK_WAIT_MS: '2000',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: anthropic.baseURL,
      SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }),
    };
    const services = ['session-actor', 'permission-broker', 'tool-executor'];
    // The lead's model: twenty delegations in one reply, then its answer (a second one for the answer asked again after a crash).
    const calls = Array.from({ length: specialists }, (_, i) => ({ id: `toolu_${i + 1}`, name: 'agents__delegate', input: { agent: 'specialist', task: `Write part ${i + 1}`, maxSteps: 3 } }));
    anthropic.reply(anthropicToolUse(calls), anthropicText('All parts are written.'), anthropicText('All parts are written.'));
    let worker = await startWorker(services, env);
    try {
      let nc = await connect({ servers: server.url });
      let client = await SignalboxClient.open(nc);
      await client.applyAgent({ name: 'lead', model: 'anthropic/claude-sonnet-4-6', subagents: ['specialist'], tools: ['ledger.record'], budget: { maxSteps: 100 } });
      // Each specialist's tool records every real execution in the ledger file: none may run twice.
      await client.applyAgent({ name: 'specialist', model: 'scripted', tools: ['ledger.record'], script: [{ tool: 'ledger.record', input: { note: 'a part' } }, { final: 'part written' }] });
      await client.submit('lead', { input: 'Write the twenty parts', sessionId: 'fan-out' });
      // Killed once the children are running: some done, some mid-step, some not started.
      await eventsUntil(client, 'fan-out', (events) => events.filter((event) => event.type === 'subagent.completed').length >= 3, 30_000);
      await nc.close();
      await worker.kill();
      const killedAt = Date.now();
      worker = await startWorker(services, env);

      nc = await connect({ servers: server.url });
      client = await SignalboxClient.open(nc);
      const events = await completedSession(client, 'fan-out', 60_000);
      const spawned = events.filter((event): event is Extract<SessionEvent, { type: 'subagent.spawned' }> => event.type === 'subagent.spawned');
      const completed = events.filter((event) => event.type === 'subagent.completed');
      report('fan-out-kill', { children: spawned.length, completed: completed.length, finishedAfterKillMs: Date.now() - killedAt });
      expect(spawned).toHaveLength(specialists);
      expect(completed).toHaveLength(specialists);
      expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
      expect(await client.check('fan-out')).toMatchObject({ ok: true });
      for (const { data } of spawned) {
        const child = await client.events(data.sessionId);
        expect(child.map((event) => event.n)).toEqual(child.map((_, i) => i + 1));
        expect(child.filter((event) => event.type === 'session.created')).toHaveLength(1);
        expect(child.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
      }
      const executions = (await readFile(join(dir, 'ledger'), 'utf8')).trim().split('\n');
      expect(new Set(executions).size).toBe(executions.length);
      expect(executions.length).toBeLessThanOrEqual(specialists);
      await nc.close();
    } finally {
      await worker.kill();
      await anthropic.close();
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
