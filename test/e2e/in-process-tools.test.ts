import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { createHash } from 'node:crypto';
import { InProcessTools, RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SignalboxClient } from '@signalbox/client';
import { eventsUntil, scriptedAgent, signedGrantsConfig, succeededSession } from '../support/runtime.ts';

/**
 * An executor sharing its process with a session actor, with SIGNALBOX_EXECUTOR_IN_PROCESS on, runs the
 * first dispatch of each idempotent call there: no job on the jobs stream, the ledger still written, the
 * log the same as over NATS. Everything else still goes over NATS.
 */
let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let host: Host | undefined;
const broker = createUser();
let mailsSent = 0;
let slowRuns = 0;
const sendMail = defineTool({ name: 'mail.send', description: 'Send an email', input: z.object({ to: z.string() }), idempotent: false, run: ({ to }) => `sent to ${to} (${++mailsSent})` });
const slowLookup = defineTool({
  name: 'slow.lookup',
  description: 'Looks something up, in 20 ms',
  input: z.object({ key: z.string() }),
  run: async ({ key }) => {
    slowRuns += 1;
    await sleep(20);
    return `value of ${key}`;
  },
});
/** Works until told to stop; counts the calls that started. */
let endlessStarted = 0;
const endless = defineTool({
  name: 'endless.work',
  description: 'Works until stopped',
  input: z.object({}),
  run: (_input, { signal }) => {
    endlessStarted += 1;
    return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
  },
});
const tools = [...workspaceTools, sendMail, slowLookup, endless];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterEach(async () => {
  await host?.stop();
  host = undefined;
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** The actor, broker and executor in one host, sharing `inProcess`; grants signed and checked unless `signers` says whose to trust. */
async function startRuntime(options: { inProcess: boolean; signers?: string[]; channel?: InProcessTools }): Promise<void> {
  const signed = signedGrantsConfig(server.url, 'in-process', broker);
  const config = RuntimeConfig.parse({ ...signed, toolExecutor: { ...signed.toolExecutor, inProcess: options.inProcess, ...(options.signers ? { grantSigners: options.signers } : {}) } });
  const inProcess = options.channel ?? new InProcessTools();
  host = await startHost([sessionActorService({ inProcessTools: inProcess }), permissionBrokerService(), toolExecutorService({ tools, inProcess })], config);
  client ??= await SignalboxClient.open(nc);
}

/** How many jobs the jobs stream has ever taken. */
async function jobsQueued(): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info('SBX_JOBS')).state.last_seq;
}

async function ledgerEntry(idempotencyKey: string): Promise<unknown> {
  const ledger = await new Kvm(nc).open('sbx-tool-ledger');
  return (await ledger.get(createHash('sha256').update(idempotencyKey).digest('hex')))?.json();
}

describe('tool calls run in the session actor\'s process', () => {
  it('runs idempotent calls in the process: no job is queued, the ledger records each, and the log replays', async () => {
    await startRuntime({ inProcess: true });
    await client.applyAgent(scriptedAgent());
    const before = await jobsQueued();
    await client.submit('scribe', { input: 'note it', sessionId: 'local-1' });
    const events = await succeededSession(client, 'local-1', 10_000);
    expect(events.filter((event) => event.type === 'tool.completed').map((event) => event.data)).toEqual([
      expect.objectContaining({ tool: 'workspace.write' }),
      expect.objectContaining({ tool: 'workspace.read', output: expect.stringContaining('remember the milk') }),
    ]);
    expect(await jobsQueued()).toBe(before);
    const requested = events.filter((event) => event.type === 'tool.requested').map((event) => (event.type === 'tool.requested' ? event.data.callId : ''));
    for (const callId of requested) await expect.poll(() => ledgerEntry(`local-1/${callId}`)).toMatchObject({ state: 'finished', result: { outcome: { status: 'completed' } } });
    expect((await client.check('local-1')).ok).toBe(true);
  });

  it('sends a call that must not run twice over NATS, where the ledger claims it first', async () => {
    await startRuntime({ inProcess: true });
    await client.applyAgent(scriptedAgent({ name: 'mailer', tools: ['mail.send'], script: [{ tool: 'mail.send', input: { to: 'ops@example.com' } }, { final: 'sent' }] }));
    const before = await jobsQueued();
    await client.submit('mailer', { input: 'tell ops', sessionId: 'local-mail' });
    await succeededSession(client, 'local-mail', 10_000);
    expect(await jobsQueued()).toBe(before + 1);
    expect(mailsSent).toBe(1);
  });

  it('sends every job over NATS with the setting off', async () => {
    await startRuntime({ inProcess: false });
    await client.applyAgent(scriptedAgent());
    const before = await jobsQueued();
    await client.submit('scribe', { input: 'note it', sessionId: 'local-off' });
    await succeededSession(client, 'local-off', 10_000);
    expect(await jobsQueued()).toBe(before + 2);
  });

  it('sends a call over NATS when it fails in the process, and the session goes on', async () => {
    const channel = new InProcessTools();
    // Served first, so it takes every job: as an executor whose ledger is out of reach fails them.
    channel.serve(() => Promise.reject(new Error('the ledger is out of reach')));
    await startRuntime({ inProcess: true, channel });
    await client.applyAgent(scriptedAgent());
    const before = await jobsQueued();
    await client.submit('scribe', { input: 'note it', sessionId: 'local-fallback' });
    await succeededSession(client, 'local-fallback', 10_000);
    expect(await jobsQueued()).toBe(before + 2);
  });

  it('runs no job in the process whose grant does not check: over NATS it is refused with the reason, and never run', async () => {
    await startRuntime({ inProcess: true, signers: [createUser().getPublicKey()] });
    await client.applyAgent(scriptedAgent({ name: 'looker', tools: ['slow.lookup'], script: [{ tool: 'slow.lookup', input: { key: 'k' } }, { final: 'looked' }] }));
    const runsBefore = slowRuns;
    const before = await jobsQueued();
    await client.submit('looker', { input: 'look it up', sessionId: 'local-forged' });
    const events = await eventsUntil(client, 'local-forged', (seen) => seen.some((event) => event.type === 'tool.failed'), 30_000);
    expect(events.find((event) => event.type === 'tool.failed')?.data).toMatchObject({ tool: 'slow.lookup', error: expect.stringContaining('refused') });
    expect(await jobsQueued()).toBe(before + 1);
    expect(slowRuns).toBe(runsBefore);
  });

  it('stops a call running in the process on an interrupt, records the interrupt alone, and takes the next message', async () => {
    await startRuntime({ inProcess: true });
    const conversation = { idleTimeoutMs: 600_000 };
    await client.applyAgent(scriptedAgent({ name: 'endless', tools: ['endless.work'], conversation, script: [{ tool: 'endless.work', input: {} }, { final: 'Doing the other thing.' }] }));
    const before = await jobsQueued();
    await client.submit('endless', { input: 'work on it', sessionId: 'local-interrupt' });
    await eventsUntil(client, 'local-interrupt', (seen) => seen.at(-1)?.type === 'permission.granted');
    // Running, not only dispatched: the executor stops the calls it runs when it hears the interrupt.
    await expect.poll(() => endlessStarted).toBe(1);
    await client.interrupt('local-interrupt', { by: 'test:ann', reason: 'not that' });
    const stopped = await eventsUntil(client, 'local-interrupt', (seen) => seen.at(-1)?.type === 'session.interrupted');
    expect(stopped.at(-1)).toMatchObject({ data: { by: 'test:ann', cancelledCalls: ['call_1'] } });
    await client.send('local-interrupt', 'Do the other thing.');
    const events = await eventsUntil(client, 'local-interrupt', (seen) => seen.some((event) => event.type === 'turn.completed'));
    expect(events.filter((event) => event.type === 'tool.failed' || event.type === 'tool.completed')).toEqual([]);
    expect(await jobsQueued()).toBe(before);
    expect((await client.check('local-interrupt')).ok).toBe(true);
  });

  it('sends one call in 33 over NATS, so a long session hands back its actor slot', async () => {
    await startRuntime({ inProcess: true });
    const script = [...Array.from({ length: 40 }, (_, index) => ({ tool: 'workspace.write', input: { path: `n${index}.md`, content: 'n' } })), { final: 'all written' }];
    await client.applyAgent(scriptedAgent({ name: 'long', tools: ['workspace.write'], script, budget: { maxSteps: 50 } }));
    const before = await jobsQueued();
    await client.submit('long', { input: 'write them all', sessionId: 'local-long' });
    const events = await succeededSession(client, 'local-long', 20_000);
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(40);
    expect(await jobsQueued()).toBe(before + 1);
  });

  it('applies a pause sent while calls run in the process between two steps, and goes on once resumed', async () => {
    await startRuntime({ inProcess: true });
    const script = [...Array.from({ length: 30 }, (_, index) => ({ tool: 'slow.lookup', input: { key: `k${index}` } })), { final: 'all looked up' }];
    await client.applyAgent(scriptedAgent({ name: 'lookups', tools: ['slow.lookup'], script, budget: { maxSteps: 40 } }));
    await client.submit('lookups', { input: 'look them all up', sessionId: 'local-pause' });
    await eventsUntil(client, 'local-pause', (seen) => seen.filter((event) => event.type === 'tool.completed').length >= 3);
    await client.pause('local-pause', { by: 'test:ann', reason: 'enough for now' });
    const paused = await eventsUntil(client, 'local-pause', (seen) => seen.some((event) => event.type === 'session.paused'));
    expect(paused.filter((event) => event.type === 'tool.completed').length).toBeLessThan(30);
    await client.resume('local-pause', { by: 'test:ann' });
    const events = await succeededSession(client, 'local-pause', 20_000);
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(30);
    expect((await client.check('local-pause')).ok).toBe(true);
  });
});
