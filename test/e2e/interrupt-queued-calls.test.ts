import { Kvm } from '@nats-io/kv';
import { toolLedgerKey } from '@signalbox/store';
import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { anthropicText, anthropicToolUse, startFakeAnthropic, type FakeAnthropic } from '@signalbox/testing';
import type { SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { stoppableTool } from '../support/stoppable-tool.ts';

/** The calls of the slow tool that began, and those told to stop, by call id. */
const { tool: slow, began, toldToStop } = stoppableTool();

let anthropic: FakeAnthropic;
let runtime: TestRuntime;
const last = (type: SessionEvent['type']) => (events: readonly SessionEvent[]) => events.at(-1)?.type === type;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: anthropic.baseURL, SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }) };
  runtime = await startTestRuntime({
    actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))) },
    tools: [slow],
    // One call at a time: the model's second call waits behind its first. A held call waits as long as a
    // test may: only the actor's word that an interrupt was applied lets it go.
    executor: { concurrency: 1, cancellationWaitMs: 600_000 },
    agents: [{ name: 'claude', model: 'anthropic/claude-sonnet-4-6', tools: ['slow.work'], conversation: { idleTimeoutMs: 600_000 } }],
  });
});
afterAll(async () => {
  await runtime?.dispose();
  await anthropic?.close();
});

async function ledgerEntry(idempotencyKey: string): Promise<unknown> {
  const ledger = await new Kvm(runtime.nc).open(runtime.client.names.buckets.toolLedger);
  return (await ledger.get(toolLedgerKey(idempotencyKey)))?.json();
}

describe('an interrupt of calls that wait for an executor', () => {
  it('stops the running call, and the one queued behind it is answered as stopped without ever running', async () => {
    const { client } = runtime;
    anthropic.reply(
      anthropicToolUse([
        { id: 'toolu_1', name: 'slow__work', input: { part: 1 } },
        { id: 'toolu_2', name: 'slow__work', input: { part: 2 } },
      ]),
      anthropicText('Doing the other thing instead.'),
    );
    await client.submit('claude', { input: 'Do both parts', sessionId: 'queued-1' });
    await expect.poll(() => began).toEqual(['toolu_1']);
    await client.interrupt('queued-1', { by: 'test:ann', reason: 'not those' });
    const stopped = await eventsUntil(client, 'queued-1', last('session.interrupted'));
    expect(stopped.at(-1)).toMatchObject({ data: { cancelledCalls: ['toolu_1', 'toolu_2'] } });
    await expect.poll(() => toldToStop).toEqual(['toolu_1']);
    // The second job reaches the executor once the first has finished: it is answered (its ledger entry says how), not run.
    await expect.poll(() => ledgerEntry('queued-1/toolu_2')).toMatchObject({ state: 'finished', result: { outcome: { status: 'failed', error: 'stopped before it finished: the session was interrupted by test:ann' } } });

    await client.send('queued-1', 'Do the other thing.');
    const events = await eventsUntil(client, 'queued-1', (all) => all.some((event) => event.type === 'turn.completed'));
    expect(began).toEqual(['toolu_1']);
    expect(events.filter((event) => event.type === 'tool.completed' || event.type === 'tool.failed')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'turn.completed', data: { output: 'Doing the other thing instead.' } });
    expect(await client.check('queued-1')).toMatchObject({ ok: true });
  });

  it("holds no call back once the actor has applied an interrupt that stopped nothing (an idle session's)", async () => {
    const { client } = runtime;
    anthropic.reply(anthropicText('Ready.'), anthropicToolUse([{ id: 'toolu_after', name: 'slow__work', input: { part: 3 } }]));
    await client.submit('claude', { input: 'Wait for me', sessionId: 'idle-1' });
    await eventsUntil(client, 'idle-1', last('turn.completed'));
    // The executor hears the core copy and holds the session's calls until the actor says what it stopped.
    await client.interrupt('idle-1', { by: 'test:ann', reason: 'nothing running' });
    await client.send('idle-1', 'Now do part three.');
    await expect.poll(() => began).toContain('toolu_after');
    await client.interrupt('idle-1', { by: 'test:ann', reason: 'done here' });
    await expect.poll(() => toldToStop).toContain('toolu_after');
  });
});
