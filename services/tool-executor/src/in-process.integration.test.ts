import { createHash } from 'node:crypto';
import { createUser } from '@nats-io/nkeys';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, encode, naming, ToolResult, type ToolJob } from '@signalbox/events';
import { signGrant } from '@signalbox/policy';
import { connectNats, createLogger, createRuntimeMetrics, InProcessTools, RuntimeConfig, type RunningService, type ServiceContext } from '@signalbox/runtime';
import { EventStore, provision } from '@signalbox/store';
import { countingCalls, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, toolExecutorService } from './index.ts';

const names = naming('sbx');
const broker = createUser();
const brokerSeed = new TextDecoder().decode(broker.getSeed());
const now = 1_800_000_000_000;
let server: NatsServer;
let nc: NatsConnection;
let context: ServiceContext;
const channel = new InProcessTools();
let executor: RunningService;
const runs: string[] = [];
/** How often the executor read a run's first event, to learn whether the run is a fork. */
let firstReads: () => number;

const lookup = defineTool({ name: 'kb.lookup', description: 'Looks a key up', input: z.object({ key: z.string() }), run: ({ key }) => (runs.push(key), `value of ${key}`) });
const charge = defineTool({ name: 'card.charge', description: 'Charges a card', input: z.object({ key: z.string() }), idempotent: false, run: ({ key }) => (runs.push(key), 'charged') });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'in-process-test');
  await provision(nc, names);
  const config = RuntimeConfig.parse({ toolExecutor: { inProcess: true } });
  const store = countingCalls(await EventStore.open(nc, names), 'first');
  firstReads = store.calls;
  context = { nc, names, config, logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }), store: store.proxy, metrics: createRuntimeMetrics('test') };
  executor = await toolExecutorService({ tools: [lookup, charge], grantSigners: [broker.getPublicKey()], clock: () => now, inProcess: channel }).start(context);
});
afterAll(async () => {
  await executor?.stop();
  await nc?.close();
  await server?.dispose();
});

/** A granted first dispatch of `tool`, as a session actor hands it over. */
function job(sessionId: string, tool = 'kb.lookup', options: { issuedAt?: number; grantedKey?: string } = {}): ToolJob {
  const call = { sessionId, correlationId: sessionId, callId: 'c1', tool, input: { key: sessionId }, idempotencyKey: `${sessionId}/c1`, firstDispatch: true as const };
  const granted = { ...call, input: { key: options.grantedKey ?? sessionId } };
  return { ...call, grant: signGrant(brokerSeed, granted, { issuedAt: options.issuedAt ?? now, policy: 'default', policyVersion: 1 }) };
}

async function ledgerEntry(idempotencyKey: string): Promise<unknown> {
  const ledger = await new Kvm(nc).open(names.buckets.toolLedger);
  return (await ledger.get(createHash('sha256').update(idempotencyKey).digest('hex')))?.json();
}

describe('an executor running calls for a session actor of its process', () => {
  it('runs a granted first dispatch of an idempotent tool, records it in the ledger, and sends no result', async () => {
    const result = await channel.run(job('here-1'), undefined);
    expect(result).toMatchObject({ sessionId: 'here-1', callId: 'c1', tool: 'kb.lookup', outcome: { status: 'completed', output: 'value of here-1' } });
    await expect.poll(() => ledgerEntry('here-1/c1')).toMatchObject({ state: 'finished', result: { outcome: { status: 'completed' } } });
    const inbox = await (await jetstreamManager(nc)).streams.info(names.streams.inbox, { subjects_filter: '>' });
    expect(Object.keys(inbox.state.subjects ?? {}).filter((subject) => subject.includes('here-1'))).toEqual([]);
  });

  it('leaves to NATS what must go through the ledger there: a call dispatched again, or one that must not run twice', () => {
    const { firstDispatch: _, ...again } = job('here-again');
    expect(channel.run(again, undefined)).toBeUndefined();
    expect(channel.run(job('here-charge', 'card.charge'), undefined)).toBeUndefined();
    expect(channel.run(job('here-unknown', 'kb.unknown'), undefined)).toBeUndefined();
    expect(runs).not.toContain('here-again');
    expect(runs).not.toContain('here-charge');
  });

  it('runs nothing whose grant does not check: altered input, an expired grant, another signer, none at all', () => {
    expect(channel.run(job('here-altered', 'kb.lookup', { grantedKey: 'something-else' }), undefined)).toBeUndefined();
    expect(channel.run(job('here-expired', 'kb.lookup', { issuedAt: now - 24 * 3_600_000 }), undefined)).toBeUndefined();
    const forged = { ...job('here-forged'), grant: signGrant(new TextDecoder().decode(createUser().getSeed()), job('here-forged'), { issuedAt: now, policy: 'default', policyVersion: 1 }) };
    expect(channel.run(forged, undefined)).toBeUndefined();
    const { grant: _, ...ungranted } = job('here-ungranted');
    expect(channel.run(ungranted, undefined)).toBeUndefined();
    expect(runs.filter((key) => key.startsWith('here-') && key !== 'here-1')).toEqual([]);
  });

  it('serves nothing with the setting off, nor once stopped', async () => {
    const off = new InProcessTools();
    const stopped = await toolExecutorService({ tools: [lookup], inProcess: off }).start({ ...context, config: RuntimeConfig.parse({}) });
    expect(off.run(job('here-off'), undefined)).toBeUndefined();
    await stopped.stop();
    const on = new InProcessTools();
    const stopping = await toolExecutorService({ tools: [lookup], grantSigners: [broker.getPublicKey()], clock: () => now, inProcess: on }).start(context);
    await stopping.stop();
    expect(on.run(job('here-stopped'), undefined)).toBeUndefined();
  });
});

describe('a job that says its run is no fork', () => {
  /** A granted first dispatch of a session of run `root` (each call a session of its own, for its own inbox). */
  function runJob(root: string, callId: string, unforkedRun: boolean): ToolJob {
    const sessionId = `${root}-${callId}`;
    const call = { sessionId, correlationId: root, callId, tool: 'kb.lookup', input: { key: sessionId }, idempotencyKey: `${sessionId}/${callId}`, firstDispatch: true as const };
    return { ...call, grant: signGrant(brokerSeed, call, { issuedAt: now, policy: 'default', policyVersion: 1 }), ...(unforkedRun ? { unforkedRun: true as const } : {}) };
  }

  /** Publishes `sent` over NATS and resolves to the result its session is sent. */
  async function resultOverNats(sent: ToolJob): Promise<ToolResult> {
    const { name } = await (await jetstreamManager(nc)).consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox(sent.sessionId), ack_policy: AckPolicy.Explicit });
    await jetstream(nc).publish(names.subjects.toolJob(sent.tool), encode(sent));
    const message = await (await jetstream(nc).consumers.get(names.streams.inbox, name)).next({ expires: 5_000 });
    if (!message) throw new Error(`no result for ${sent.sessionId}`);
    message.ack();
    return decode(ToolResult, message.data, 'tool result');
  }

  it("is answered, here or over NATS, without a read of the run's first event; a job that does not say so reads it once for its run", async () => {
    const before = firstReads();
    expect(await channel.run(runJob('plain', 'c1', true), undefined)).toMatchObject({ outcome: { status: 'completed' } });
    expect((await resultOverNats(runJob('plain', 'c2', false))).outcome).toMatchObject({ status: 'completed' });
    expect((await resultOverNats(runJob('plain-nats', 'c1', true))).outcome).toMatchObject({ status: 'completed' });
    expect(firstReads()).toBe(before);
    await resultOverNats(runJob('unsaid', 'c1', false));
    await channel.run(runJob('unsaid', 'c2', false), undefined);
    expect(firstReads()).toBe(before + 1);
  });

  it('changes nothing when its grant does not check: it is refused, and the run is read as before', async () => {
    const { grant: _, ...ungranted } = runJob('tricked', 'c1', true);
    expect(channel.run(ungranted, undefined)).toBeUndefined();
    expect((await resultOverNats(ungranted)).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('the job carries no grant') });
    const before = firstReads();
    expect((await resultOverNats(runJob('tricked', 'c2', false))).outcome).toMatchObject({ status: 'completed' });
    expect(firstReads()).toBe(before + 1);
  });
});
