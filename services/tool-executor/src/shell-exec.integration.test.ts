import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decode, encode, naming, ToolResult, type ToolJob } from '@signalbox/events';
import { connectNats, createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { EventStore, provision, WorkspaceFiles } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvToolLedger, type ToolLedger } from './shell/ledger.ts';
import { probeSandbox } from './shell/sandbox-probe.ts';
import { shellExecTool, toolExecutorService, workspaceTools } from './index.ts';

const names = naming('sbx');
const probe = probeSandbox();
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let ledger: ToolLedger;
let files: WorkspaceFiles;
let executor: RunningService;

beforeAll(async () => {
  if (!probe.available) return;
  server = await startNatsServer();
  nc = await connectNats(server.url, 'shell-exec-test');
  js = jetstream(nc);
  await provision(nc, names);
  ledger = kvToolLedger(await new Kvm(nc).open(names.buckets.toolLedger));
  files = await WorkspaceFiles.open(nc, names);
  const context = {
    nc,
    names,
    config: RuntimeConfig.parse({ instance: 'shell-test' }),
    logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
    store: await EventStore.open(nc, names),
    metrics: createRuntimeMetrics('test'),
  };
  executor = await toolExecutorService({ tools: [...workspaceTools, shellExecTool({ limits: { wallTimeMs: 5_000 } })], concurrency: 2 }).start(context);
});
afterAll(async () => {
  await executor?.stop();
  await nc?.close();
  await server?.dispose();
});

/** Sends the session's calls one at a time and returns each outcome from its inbox. */
async function session(sessionId: string) {
  const { name } = await (await jetstreamManager(nc)).consumers.add(names.streams.inbox, { filter_subject: names.subjects.inbox(sessionId), ack_policy: AckPolicy.Explicit });
  const inbox = await js.consumers.get(names.streams.inbox, name);
  let calls = 0;
  const send = async (tool: string, input: unknown): Promise<ToolJob> => {
    calls += 1;
    const job: ToolJob = { sessionId, correlationId: sessionId, callId: `c${calls}`, tool, input, idempotencyKey: `${sessionId}/c${calls}` };
    await js.publish(names.subjects.toolJob(tool), encode(job));
    return job;
  };
  const result = async () => {
    const message = await inbox.next({ expires: 15_000 });
    if (!message) throw new Error(`no tool result for ${sessionId}`);
    message.ack();
    return decode(ToolResult, message.data, 'tool result').outcome;
  };
  return { send, result, call: async (tool: string, input: unknown) => (await send(tool, input), result()) };
}

describe.skipIf(!probe.available)(`shell.exec on an executor${probe.available ? '' : ` (skipped: ${probe.reason})`}`, () => {
  it("writes the command's changes to the run's workspace, and its event names them and the revision they made", async () => {
    const { call } = await session('shell-run');
    await call('workspace.write', { path: 'data.txt', content: 'b\na\n' });
    await call('workspace.write', { path: 'old.txt', content: 'old' });
    const done = await call('shell.exec', { command: 'sort data.txt > sorted.txt && rm old.txt' });
    expect(done).toMatchObject({ status: 'completed', workspaceRevision: expect.any(Number) as number });
    expect(JSON.parse(done.status === 'completed' ? done.output : '{}')).toMatchObject({ exitCode: 0, written: ['sorted.txt'], deleted: ['old.txt'] });
    expect(await call('workspace.list', {})).toEqual({ status: 'completed', output: 'data.txt (4 bytes)\nsorted.txt (4 bytes)' });
    expect(await call('workspace.read', { path: 'old.txt' })).toMatchObject({ status: 'failed', error: expect.stringContaining('no file at old.txt') as string });
  });

  it('answers a shell call cut off mid-run with outcome unknown, and never runs it again', async () => {
    const { send, result } = await session('shell-cut');
    const job: ToolJob = { sessionId: 'shell-cut', correlationId: 'shell-cut', callId: 'c1', tool: 'shell.exec', input: { command: 'echo ran > ran.txt' }, idempotencyKey: 'shell-cut/c1' };
    await ledger.write({ state: 'started', idempotencyKey: job.idempotencyKey, job: 'SBX_JOBS/999999', instance: 'exec-gone', at: Date.now() - 600_000 }, undefined);
    await send('shell.exec', job.input);
    expect(await result()).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/^shell\.exec was cut off mid-call/) as string });
    expect(await files.list([{ root: 'shell-cut' }])).toEqual([]);
  });

});
