import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm } from '@nats-io/obj';
import { decode, encode, errorHeader, naming, ToolResult, type ToolJob } from '@signalbox/events';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { EventStore, provision, readToolDefinitions, UnadvertisedToolsError } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, toolExecutorService, workspaceTools } from './index.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let executor: RunningService;
let store: EventStore;

const failing = defineTool({
  name: 'test.fail',
  description: 'Always throws',
  input: z.object({}),
  run: () => {
    throw new Error('the disk is full');
  },
});

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'tool-executor-test');
  js = jetstream(nc);
  await provision(nc, names);
  const context = {
    nc,
    names,
    config: RuntimeConfig.parse({}),
    logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
    store: (store = await EventStore.open(nc, names)),
    metrics: createRuntimeMetrics('test'),
  };
  // One job at a time, so a test can tell the order results arrive in.
  executor = await toolExecutorService({ tools: [...workspaceTools, failing], concurrency: 1 }).start(context);
});
afterAll(async () => {
  await executor?.stop();
  await nc?.close();
  await server?.dispose();
});

/** Sends tool jobs for one session and reads the results arriving in its inbox. */
async function session(sessionId: string, correlationId = sessionId) {
  const jsm = await jetstreamManager(nc);
  const { name } = await jsm.consumers.add(names.streams.inbox, {
    filter_subject: names.subjects.inbox(sessionId),
    ack_policy: AckPolicy.Explicit,
  });
  const inbox = await js.consumers.get(names.streams.inbox, name);
  let calls = 0;
  return {
    send: async (tool: string, input: unknown, callId = `c${++calls}`) => {
      const job: ToolJob = { sessionId, correlationId, callId, tool, input, idempotencyKey: `${sessionId}/${callId}` };
      await js.publish(names.subjects.toolJob(tool), encode(job));
    },
    result: async (): Promise<ToolResult> => {
      const message = await inbox.next({ expires: 5_000 });
      if (!message) throw new Error(`no tool result for ${sessionId} within 5 s`);
      message.ack();
      return decode(ToolResult, message.data, 'tool result');
    },
  };
}

describe('tool executor', () => {
  it('writes, reads and lists a file in the run workspace', async () => {
    const run = await session('run-1');
    await run.send('workspace.write', { path: 'notes/plan.md', content: 'step one' });
    expect(await run.result()).toMatchObject({
      type: 'tool.result',
      sessionId: 'run-1',
      callId: 'c1',
      tool: 'workspace.write',
      outcome: { status: 'completed', output: expect.stringMatching(/^wrote 8 bytes to notes\/plan\.md, now at revision \d+$/) },
    });
    await run.send('workspace.read', { path: 'notes/plan.md' });
    expect((await run.result()).outcome).toEqual({ status: 'completed', output: expect.stringMatching(/^\[revision \d+ of notes\/plan\.md; .*\]\nstep one$/) });
    await run.send('workspace.list', {});
    expect((await run.result()).outcome).toEqual({ status: 'completed', output: 'notes/plan.md (8 bytes)' });

    // The content is kept once, by its sha256; the write is a message of the workspace stream.
    const objects = await new Objm(nc).open(names.objectStores.workspace);
    expect((await objects.info(createHash('sha256').update('step one').digest('hex')))?.size).toBe(8);
    const jsm = await jetstreamManager(nc);
    const write = await jsm.streams.getMessage(names.streams.workspace, { last_by_subj: names.subjects.workspaceFile('run-1', 'notes/plan.md') });
    expect(write?.json()).toMatchObject({ path: 'notes/plan.md', size: 8 });
  });

  it('shares a workspace between a root session and its subagents, and with no other run', async () => {
    const root = await session('run-2');
    const child = await session('run-2-child', 'run-2');
    const stranger = await session('run-3');
    await root.send('workspace.write', { path: 'shared.txt', content: 'hello' });
    await root.result();
    await child.send('workspace.read', { path: 'shared.txt' });
    expect((await child.result()).outcome).toEqual({ status: 'completed', output: expect.stringMatching(/\nhello$/) });
    await stranger.send('workspace.read', { path: 'shared.txt' });
    expect((await stranger.result()).outcome).toEqual({ status: 'failed', error: 'no file at shared.txt; workspace.list shows what exists' });
  });

  it("lists its own run's writes only, never the rest of the store", async () => {
    const run = await session('run-11');
    const neighbour = await session('run-11x');
    for (const path of ['notes/b.md', 'notes/a.md', 'other.txt']) {
      await run.send('workspace.write', { path, content: 'abc' });
      await run.result();
    }
    await neighbour.send('workspace.write', { path: 'notes/c.md', content: 'not yours' });
    await neighbour.result();
    // An object no write of the run names is not listed: the listing does not read the object store.
    await (await new Objm(nc).open(names.objectStores.workspace)).putBlob({ name: 'run-11/notes/unindexed.md' }, new Uint8Array(1));

    await run.send('workspace.list', { prefix: 'notes/' });
    expect((await run.result()).outcome).toEqual({ status: 'completed', output: 'notes/a.md (3 bytes)\nnotes/b.md (3 bytes)' });
    await neighbour.send('workspace.list', {});
    expect((await neighbour.result()).outcome).toEqual({ status: 'completed', output: 'notes/c.md (9 bytes)' });
  });

  it('refuses NUL and control characters in workspace paths and prefixes', async () => {
    const run = await session('run-12');
    await run.send('workspace.write', { path: 'a\u0000.md', content: 'x' });
    expect((await run.result()).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('NUL or other control characters') });
    await run.send('workspace.list', { prefix: '\r\n' });
    expect((await run.result()).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('NUL or other control characters') });
  });

  it('answers invalid input with each issue', async () => {
    const run = await session('run-5');
    await run.send('workspace.write', { path: '/etc/passwd' });
    expect((await run.result()).outcome).toEqual({
      status: 'failed',
      error: 'invalid input for workspace.write: path: must be relative, without a leading "/"; content: Invalid input: expected string, received undefined',
    });
  });

  it('answers a tool that throws with its error', async () => {
    const run = await session('run-6');
    await run.send('test.fail', {});
    expect((await run.result()).outcome).toEqual({ status: 'failed', error: 'the disk is full' });
  });

  it('delivers one result for a call that is dispatched twice', async () => {
    const run = await session('run-7');
    await run.send('workspace.list', {}, 'twice');
    await run.send('workspace.list', {}, 'twice');
    await run.send('workspace.list', {}, 'after');
    expect((await run.result()).callId).toBe('twice');
    expect((await run.result()).callId).toBe('after');
  });

  it("sends a result to the inbox of the actor that dispatched the call, never to another session's", async () => {
    const jsm = await jetstreamManager(nc);
    const stored = async (subject: string) => (await jsm.streams.info(names.streams.inbox, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
    const until = async (check: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 5_000; !(await check()); ) {
        if (Date.now() > deadline) throw new Error('no result within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const job = (sessionId: string, replyTo: string): ToolJob => ({ sessionId, correlationId: sessionId, callId: 'c1', tool: 'workspace.list', input: {}, idempotencyKey: `${sessionId}/c1`, replyTo });
    const own = names.subjects.actorInbox('run-8', 'actor-a');
    await js.publish(names.subjects.toolJob('workspace.list'), encode(job('run-8', own)));
    await until(async () => (await stored(own)) === 1);
    // A reply subject of another session (or anything else) is ignored: the result goes to its own session's inbox.
    await js.publish(names.subjects.toolJob('workspace.list'), encode(job('run-9', own)));
    await until(async () => (await stored(names.subjects.inbox('run-9'))) === 1);
    expect(await stored(own)).toBe(1);
  });

  it('dead-letters a malformed job with the reason', async () => {
    const bytes = encode({ sessionId: 'run-8', tool: 'workspace.read' });
    await js.publish(names.subjects.toolJob('workspace.read'), bytes);
    const dlq = await js.consumers.get(names.streams.dlq, { filter_subjects: names.subjects.dlq('jobs') });
    const dead = await dlq.next({ expires: 5_000 });
    expect(Buffer.from(dead?.data ?? [])).toEqual(Buffer.from(bytes));
    expect(dead?.headers?.get(errorHeader)).toMatch(/^cannot decode tool job: correlationId: .*callId: .*idempotencyKey: /);
  });

  it('advertises each tool with its JSON Schema, for sessions to read back', async () => {
    const bucket = await new Kvm(nc).open(names.buckets.tools);
    expect((await bucket.get('workspace.write'))?.json()).toMatchObject({
      name: 'workspace.write',
      idempotent: true,
      inputSchema: { type: 'object', required: ['path', 'content'], properties: { path: { type: 'string', maxLength: 512 } } },
    });
    const definitions = await readToolDefinitions(nc, names, ['workspace.read', 'test.fail']);
    expect(definitions.map((definition) => definition.name)).toEqual(['workspace.read', 'test.fail']);
    expect(definitions[0]).toEqual({ name: 'workspace.read', description: expect.any(String), inputSchema: expect.objectContaining({ type: 'object' }) });
  });

  it('names the tools no executor advertises', async () => {
    const reading = readToolDefinitions(nc, names, ['workspace.read', 'web.fetch', 'mail.send']);
    await expect(reading).rejects.toThrow(UnadvertisedToolsError);
    await expect(reading).rejects.toThrow('"web.fetch", "mail.send"');
  });

  it('offers only the tools SIGNALBOX_EXECUTOR_TOOLS picks, and refuses to start on one it cannot offer, saying why', async () => {
    const context = (tools: string[]) => ({
      nc,
      names,
      config: RuntimeConfig.parse({ toolExecutor: { tools } }),
      logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
      store,
      metrics: createRuntimeMetrics('test'),
    });
    const only = defineTool({ name: 'only.this', description: 'Picked', input: z.object({}), run: () => 'ran' });
    const other = defineTool({ name: 'other.tool', description: 'Not picked', input: z.object({}), run: () => 'ran' });
    const picked = await toolExecutorService({ tools: [only, other] }).start(context(['only.*']));
    await picked.stop();
    const bucket = await new Kvm(nc).open(names.buckets.tools);
    expect(await bucket.get('only.this')).not.toBeNull();
    expect(await bucket.get('other.tool')).toBeNull();
    const unavailable = [{ tool: 'shell.exec', reason: 'bubblewrap (bwrap) is not installed' }];
    await expect(toolExecutorService({ tools: [only], unavailable }).start(context(['shell.exec']))).rejects.toThrow(
      'SIGNALBOX_EXECUTOR_TOOLS names tools this executor cannot offer: shell.exec (bubblewrap (bwrap) is not installed)',
    );
    await expect(toolExecutorService({ tools: [only] }).start(context(['only.thus']))).rejects.toThrow('only.thus (no such tool; this executor has only.this)');
  });

  it('picks MCP tools by the same patterns, as their servers list them: an MCP-only executor offers nothing else', async () => {
    const context = (tools: string[]) => ({ nc, names, config: RuntimeConfig.parse({ toolExecutor: { tools } }), logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }), store, metrics: createRuntimeMetrics('test') });
    const local = defineTool({ name: 'local.only', description: 'Not MCP', input: z.object({}), run: () => 'ran' });
    const fixture = fileURLToPath(new URL('./shell/mcp-servers.fixtures.ts', import.meta.url));
    const mcpOnly = await toolExecutorService({ tools: [local], mcpServers: [{ name: 'picked', command: process.execPath, args: [fixture, 'stdio'] }] }).start(context(['mcp.picked.env']));
    await mcpOnly.stop();
    const bucket = await new Kvm(nc).open(names.buckets.tools);
    expect(await bucket.get('mcp.picked.env')).not.toBeNull();
    expect(await bucket.get('mcp.picked.whoami')).toBeNull();
    expect(await bucket.get('local.only')).toBeNull();
    // Without MCP servers, an mcp pattern names a tool this executor does not have.
    await expect(toolExecutorService({ tools: [local] }).start(context(['mcp.*']))).rejects.toThrow('mcp.* (no such tool; this executor has local.only)');
  });
});
