import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, encode, naming, ToolResult, type ToolJob } from '@signalbox/events';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { EventStore, provision, toolLedgerKey } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolExecutorService, workspaceTools } from './index.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let ledger: KV;
const executors: RunningService[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'workspace-revisions-test');
  js = jetstream(nc);
  await provision(nc, names);
  ledger = await new Kvm(nc).open(names.buckets.toolLedger);
  const context = {
    nc,
    names,
    config: RuntimeConfig.parse({}),
    logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
    store: await EventStore.open(nc, names),
    metrics: createRuntimeMetrics('test'),
  };
  // Two executors sharing the tools' durables, as in a deployment: two children's calls can run at once.
  for (let i = 0; i < 2; i++) executors.push(await toolExecutorService({ tools: workspaceTools, concurrency: 4 }).start(context));
});
afterAll(async () => {
  for (const executor of executors) await executor.stop();
  await nc?.close();
  await server?.dispose();
});

/** Sends one session's tool jobs and reads the results arriving in its inbox. */
async function session(sessionId: string, correlationId = sessionId) {
  const { name } = await (await jetstreamManager(nc)).consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox(sessionId), ack_policy: AckPolicy.Explicit });
  const inbox = await js.consumers.get(names.streams.inbox, name);
  let calls = 0;
  const send = async (tool: string, input: unknown, callId = `c${++calls}`) => {
    const job: ToolJob = { sessionId, correlationId, callId, tool, input, idempotencyKey: `${sessionId}/${callId}` };
    await js.publish(names.subjects.toolJob(tool), encode(job));
    return job;
  };
  const result = async (): Promise<ToolResult> => {
    const message = await inbox.next({ expires: 5_000 });
    if (!message) throw new Error(`no tool result for ${sessionId} within 5 s`);
    message.ack();
    return decode(ToolResult, message.data, 'tool result');
  };
  return { send, result, call: async (tool: string, input: unknown) => (await send(tool, input), (await result()).outcome) };
}

/** Writes of `path` the run's workspace stream holds. */
async function writesOf(root: string, path: string): Promise<number> {
  const subject = names.subjects.workspaceFile(root, path);
  const info = await (await jetstreamManager(nc)).streams.info(names.streams.workspace, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/**
 * The next result published to the session's inbox, seen on the subject: the inbox stream keeps one
 * result a call (its message id), so a call answered twice is seen twice only here.
 */
async function nextPublishedResult(sessionId: string): Promise<() => Promise<ToolResult>> {
  const subscription = nc.subscribe(names.subjects.inbox(sessionId), { max: 1, timeout: 5_000 });
  await nc.flush();
  return async () => {
    for await (const message of subscription) return decode(ToolResult, message.data, 'tool result');
    throw new Error(`no tool result published for ${sessionId}`);
  };
}

function revisionOf(outcome: ToolResult['outcome']): number {
  if (outcome.status !== 'completed' || outcome.workspaceRevision === undefined) throw new Error(`not a write: ${JSON.stringify(outcome)}`);
  return outcome.workspaceRevision;
}

describe('workspace revisions through the executor', () => {
  it('lets one of two children writing one file at the revision both read win; the other is told the revision to merge with', async () => {
    const root = await session('race');
    const children = [await session('race-a', 'race'), await session('race-b', 'race')];
    for (let round = 0; round < 5; round++) {
      const path = `plan-${round}.md`;
      const read = revisionOf(await root.call('workspace.write', { path, content: 'the plan' }));
      await Promise.all(children.map((child, i) => child.send('workspace.write', { path, content: `child ${i}'s plan`, ifRevision: read })));
      const outcomes = await Promise.all(children.map(async (child) => (await child.result()).outcome));
      const won = outcomes.filter((outcome) => outcome.status === 'completed');
      expect(won).toHaveLength(1);
      const current = revisionOf(won[0]!);
      expect(outcomes.find((outcome) => outcome.status === 'failed')).toEqual({
        status: 'failed',
        error: `not written: ${path} is at revision ${current}, not ${read}: it changed since you read it. Read it again (workspace.read), merge your changes into what it holds now, and write with ifRevision ${current}`,
      });
      expect(await writesOf('race', path)).toBe(2);
    }
  });

  it('shows a reader the revision it read, refuses a stale write, and lets a write without ifRevision overwrite', async () => {
    const run = await session('plain');
    const first = revisionOf(await run.call('workspace.write', { path: 'notes.md', content: 'one' }));
    expect(await run.call('workspace.read', { path: 'notes.md' })).toEqual({ status: 'completed', output: `[revision ${first} of notes.md; the file's text starts on the next line]\none` });
    const second = revisionOf(await run.call('workspace.write', { path: 'notes.md', content: 'two', ifRevision: first }));
    expect(await run.call('workspace.write', { path: 'notes.md', content: 'stale', ifRevision: first })).toMatchObject({ status: 'failed', error: expect.stringContaining(`at revision ${second}, not ${first}`) });
    expect(await run.call('workspace.write', { path: 'notes.md', content: 'mine', ifRevision: 0 })).toMatchObject({ status: 'failed', error: expect.stringContaining(`already exists, at revision ${second}`) });
    const third = await run.call('workspace.write', { path: 'notes.md', content: 'last writer wins' });
    expect(third).toEqual({ status: 'completed', output: `wrote 16 bytes to notes.md, now at revision ${revisionOf(third)}`, workspaceRevision: revisionOf(third) });
    expect(await run.call('workspace.write', { path: 'notes.md', content: 'x', ifRevision: -1 })).toMatchObject({ status: 'failed', error: expect.stringMatching(/^invalid input for workspace\.write: ifRevision: /) });
  });

  it('answers a conditional write dispatched again with its recorded result, not a conflict with itself', async () => {
    const run = await session('again');
    const job = await run.send('workspace.write', { path: 'a.md', content: 'once', ifRevision: 0 });
    const first = await run.result();
    expect(first.outcome).toMatchObject({ status: 'completed' });
    const again = await nextPublishedResult('again');
    await js.publish(names.subjects.toolJob('workspace.write'), encode(job));
    expect(await again()).toEqual(first);
    expect(await writesOf('again', 'a.md')).toBe(1);
  });

  it('runs a conditional write cut off before its result was recorded again, and finds its own earlier write', async () => {
    const run = await session('crashed');
    const other = await session('crashed-child', 'crashed');
    const job = await run.send('workspace.write', { path: 'a.md', content: 'mine', ifRevision: 0 });
    const first = await run.result();
    // As if the executor died after the write and before the ledger heard of it; and another wrote since.
    await ledger.purge(toolLedgerKey(job.idempotencyKey));
    await other.call('workspace.write', { path: 'a.md', content: 'theirs, later' });
    const again = await nextPublishedResult('crashed');
    await js.publish(names.subjects.toolJob('workspace.write'), encode(job));
    expect(await again()).toEqual({ ...first, durationMs: expect.any(Number) });
    expect(await writesOf('crashed', 'a.md')).toBe(2);
  });
});
