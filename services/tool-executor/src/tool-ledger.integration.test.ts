import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, encode, naming, ToolResult, type ToolJob } from '@signalbox/events';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { EventStore, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LedgerEntry } from './core/execution-plan.ts';
import { maxResultChars } from './shell/execute.ts';
import { kvToolLedger, type ToolLedger } from './shell/ledger.ts';
import { defineTool, toolExecutorService } from './index.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let ledger: ToolLedger;
let executor: RunningService;
const runs = new Map<string, number>();

/** Counts its runs per call, so a test can tell whether a call ran and how often. */
function countingTool(name: string, idempotent: boolean) {
  return defineTool({
    name,
    description: 'Counts its runs',
    input: z.object({}),
    idempotent,
    run: (_, { idempotencyKey }) => {
      const count = (runs.get(idempotencyKey) ?? 0) + 1;
      runs.set(idempotencyKey, count);
      return `run ${count} of ${idempotencyKey}`;
    },
  });
}
// Two bytes a character: past the inbox's message limit in these tests, so its result can never be delivered.
const oversized = defineTool({ name: 'test.oversized', description: 'Too big to send', input: z.object({}), run: () => 'é'.repeat(maxResultChars) });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'tool-ledger-test');
  js = jetstream(nc);
  await provision(nc, names, { maxMessageBytes: 256 * 1024 });
  ledger = kvToolLedger(await new Kvm(nc).open(names.buckets.toolLedger));
  const context = {
    nc,
    names,
    config: RuntimeConfig.parse({ instance: 'exec-test' }),
    logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
    store: await EventStore.open(nc, names),
    metrics: createRuntimeMetrics('test'),
  };
  const tools = [countingTool('test.count', true), countingTool('test.send', false), oversized];
  executor = await toolExecutorService({ tools, concurrency: 1, maxDeliver: 2 }).start(context);
});
afterAll(async () => {
  await executor?.stop();
  await nc?.close();
  await server?.dispose();
});

function job(sessionId: string, tool: string): ToolJob {
  return { sessionId, correlationId: sessionId, callId: 'c1', tool, input: {}, idempotencyKey: `${sessionId}/c1` };
}

/** Every result published to a session's inbox, duplicates included (the stream keeps one of them). */
async function inbox(sessionId: string) {
  const subscription = nc.subscribe(names.subjects.inbox(sessionId));
  await nc.flush();
  const iterator = subscription[Symbol.asyncIterator]();
  return {
    next: async (): Promise<ToolResult> => {
      const timeout = setTimeout(() => subscription.unsubscribe(), 5_000);
      const { value, done } = await iterator.next();
      clearTimeout(timeout);
      if (done) throw new Error(`no tool result for ${sessionId} within 5 s`);
      return decode(ToolResult, value.data, 'tool result');
    },
    close: () => subscription.unsubscribe(),
  };
}

async function storedResults(sessionId: string): Promise<number> {
  const subject = names.subjects.inbox(sessionId);
  const info = await (await jetstreamManager(nc)).streams.info(names.streams.inbox, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

function claimedByAnotherJob(toolJob: ToolJob, ageMs: number): LedgerEntry {
  return { state: 'started', idempotencyKey: toolJob.idempotencyKey, job: 'SBX_JOBS/999999', instance: 'exec-gone', at: Date.now() - ageMs };
}
const longAgoMs = 10 * 60_000;

describe('tool ledger', () => {
  it('runs a call dispatched twice once, and answers both deliveries with the recorded result', async () => {
    const results = await inbox('twice');
    const toolJob = job('twice', 'test.count');
    // Distinct message ids, so the jobs stream keeps both and the executor sees two deliveries.
    await js.publish(names.subjects.toolJob('test.count'), encode(toolJob), { msgID: 'dispatch-1' });
    await js.publish(names.subjects.toolJob('test.count'), encode(toolJob), { msgID: 'dispatch-2' });
    const [first, second] = [await results.next(), await results.next()];
    results.close();
    expect(first.outcome).toEqual({ status: 'completed', output: 'run 1 of twice/c1' });
    expect(second).toEqual(first);
    expect(runs.get('twice/c1')).toBe(1);
    expect(await storedResults('twice')).toBe(1);
    expect((await ledger.read('twice/c1'))?.entry).toMatchObject({ state: 'finished', instance: 'exec-test', result: first });
  });

  it('runs the first dispatch of an idempotent call without reading the ledger, and records its result', async () => {
    const results = await inbox('first');
    const toolJob = job('first', 'test.count');
    // Only the actor's first dispatch of a new call is marked, so its key cannot be in the ledger; an
    // entry planted there shows the executor trusted the mark and did not look.
    const planted: ToolResult = { type: 'tool.result', sessionId: 'first', callId: 'c1', tool: 'test.count', outcome: { status: 'completed', output: 'planted' }, durationMs: 0 };
    await ledger.write({ state: 'finished', idempotencyKey: toolJob.idempotencyKey, instance: 'exec-other', at: Date.now(), result: planted }, undefined);
    await js.publish(names.subjects.toolJob('test.count'), encode({ ...toolJob, firstDispatch: true }));
    expect((await results.next()).outcome).toEqual({ status: 'completed', output: 'run 1 of first/c1' });
    results.close();
    // The same call dispatched again (unmarked, as after a crash) is answered from the ledger.
    const again = await inbox('first');
    await js.publish(names.subjects.toolJob('test.count'), encode(toolJob));
    expect((await again.next()).outcome).toEqual(planted.outcome);
    again.close();
    expect(runs.get('first/c1')).toBe(1);
  });

  it("answers a fork's copy of a finished call (its origin's idempotency key) with the recorded result, addressed to the fork", async () => {
    const origin = await inbox('origin');
    await js.publish(names.subjects.toolJob('test.send'), encode(job('origin', 'test.send')));
    const ran = await origin.next();
    origin.close();
    const forked = await inbox('fork-of-origin');
    await js.publish(names.subjects.toolJob('test.send'), encode({ ...job('fork-of-origin', 'test.send'), callId: 'c1', idempotencyKey: 'origin/c1' }));
    expect(await forked.next()).toEqual({ ...ran, sessionId: 'fork-of-origin' });
    forked.close();
    expect(runs.get('origin/c1')).toBe(1);
  });

  it('answers a non-idempotent call cut off mid-run with outcome unknown, without running it', async () => {
    const results = await inbox('cut-off');
    const toolJob = job('cut-off', 'test.send');
    await ledger.write(claimedByAnotherJob(toolJob, longAgoMs), undefined);
    await js.publish(names.subjects.toolJob('test.send'), encode(toolJob));
    const result = await results.next();
    results.close();
    expect(result.outcome).toEqual({ status: 'unknown', reason: expect.stringMatching(/^test\.send was cut off mid-call \(started on exec-gone at /) });
    expect(runs.get('cut-off/c1')).toBeUndefined();
    // Recorded, so every later delivery gives the model the same answer.
    expect((await ledger.read('cut-off/c1'))?.entry).toMatchObject({ state: 'finished', result: { outcome: { status: 'unknown' } } });
  });

  it('runs an idempotent call cut off mid-run again', async () => {
    const results = await inbox('rerun');
    const toolJob = job('rerun', 'test.count');
    await ledger.write(claimedByAnotherJob(toolJob, longAgoMs), undefined);
    await js.publish(names.subjects.toolJob('test.count'), encode(toolJob));
    expect((await results.next()).outcome).toEqual({ status: 'completed', output: 'run 1 of rerun/c1' });
    results.close();
  });

  it('leaves a call another executor is running to it, and answers with what it records', async () => {
    const results = await inbox('in-flight');
    const toolJob = job('in-flight', 'test.send');
    const revision = await ledger.write(claimedByAnotherJob(toolJob, 0), undefined);
    await js.publish(names.subjects.toolJob('test.send'), encode(toolJob));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the first delivery finds the claim and backs off
    const theirs: ToolResult = { type: 'tool.result', sessionId: 'in-flight', callId: 'c1', tool: 'test.send', outcome: { status: 'completed', output: 'sent by them' }, durationMs: 9 };
    await ledger.write({ state: 'finished', idempotencyKey: toolJob.idempotencyKey, instance: 'exec-other', at: Date.now(), result: theirs }, revision);
    expect(await results.next()).toEqual(theirs);
    results.close();
    expect(runs.get('in-flight/c1')).toBeUndefined();
  });

  it('fails the call in the session inbox, with the reason, once its job is dead-lettered past maxDeliver', async () => {
    await js.publish(names.subjects.toolJob('test.oversized'), encode(job('dead', 'test.oversized')));
    // Read from the stream: the inbox subject also sees the publishes the stream refused.
    const jsm = await jetstreamManager(nc);
    const { name } = await jsm.consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox('dead'), ack_policy: AckPolicy.Explicit });
    const message = await (await js.consumers.get(names.streams.inbox, name)).next({ expires: 5_000 });
    const result = decode(ToolResult, message?.data ?? new Uint8Array(), 'tool result');
    expect(result).toMatchObject({ sessionId: 'dead', callId: 'c1', tool: 'test.oversized', outcome: { status: 'failed' } });
    expect(result.outcome).toEqual({
      status: 'failed',
      error: expect.stringMatching(/^the call finished but its result could not be delivered: failed 2 times; last error: .*message size/),
    });
    const dlq = await js.consumers.get(names.streams.dlq, { filter_subjects: names.subjects.dlq('jobs') });
    expect(decode(z.object({ sessionId: z.string() }), (await dlq.next({ expires: 5_000 }))?.data ?? new Uint8Array(), 'job')).toEqual({ sessionId: 'dead' });
  });
});
