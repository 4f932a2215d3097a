import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { anthropicText, anthropicToolUse, delayed, startFakeAnthropic, startNatsServer } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { completedSession } from '../support/runtime.ts';
import { startWorker } from './processes.ts';
import { report } from './report.ts';

const note = (n: number) => ({ id: `toolu_${n}`, name: 'ledger__record', input: { note: `Note ${n}: ${'the milk, the bread and the eggs. '.repeat(75)}` } });

describe('a compaction across a kill -9 of every process', () => {
  it('is asked for again after the restart, recorded once, and the session finishes', { timeout: 90_000 }, async () => {
    const server = await startNatsServer();
    const anthropic = await startFakeAnthropic();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-compaction-'));
    const env = {
      NATS_URL: server.url,
      FAULT_LEDGER: join(dir, 'ledger'),
      SIGNALBOX_ACK_WAIT_MS: '2000',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: anthropic.baseURL,
      SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }),
    };
    const services = ['session-actor', 'permission-broker', 'tool-executor'];
    let worker = await startWorker(services, env);
    try {
      let nc = await connect({ servers: server.url });
      let client = await SignalboxClient.open(nc);
      await client.applyAgent({ name: 'noter', model: 'anthropic/claude-sonnet-4-6', tools: ['ledger.record'], budget: { maxSteps: 6 }, context: { windowTokens: 2_000, keepMessages: 2 } });
      // The summary's call hangs: every process is killed while the session waits for it.
      anthropic.reply(anthropicToolUse([note(1)]), anthropicToolUse([note(2)]), delayed(60_000, anthropicText('never sent')));
      await client.submit('noter', { input: 'Write two long notes', sessionId: 'noter-1' });
      const deadline = Date.now() + 20_000;
      while (anthropic.requests.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(anthropic.requests).toHaveLength(3);
      expect(JSON.stringify(anthropic.requests[2]?.body)).toContain('You compact the context');
      await nc.close();

      await worker.kill();
      await server.kill();
      await server.restart();
      const restartedAt = Date.now();
      anthropic.reply(anthropicText('The agent wrote notes 1 and 2.'), anthropicText('Wrote two notes.'));
      worker = await startWorker(services, env);

      nc = await connect({ servers: server.url });
      client = await SignalboxClient.open(nc);
      const events = await completedSession(client, 'noter-1', 30_000);
      report('compaction-restart', { finishedAfterRestartMs: Date.now() - restartedAt, requests: anthropic.requests.length });
      expect(events.filter((event) => event.type === 'context.compacted')).toMatchObject([{ data: { summary: 'The agent wrote notes 1 and 2.', from: 0, upTo: 3 } }]);
      expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'Wrote two notes.' } });
      expect(await client.check('noter-1')).toMatchObject({ ok: true });
      await nc.close();
    } finally {
      await worker.kill();
      await server.dispose();
      await anthropic.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
