import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming } from '@signalbox/events';
import { assetLabel, missingProvisioning, partitionCountOf, requiredAssets } from '@signalbox/store';
import { provisioningUsers, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient, type GlobalOptions } from './connection.ts';
import { listDeadLetters, redriveDeadLetters } from './dead-letter-commands.ts';
import { diffCommand, forkSession } from './fork-commands.ts';
import { init } from './init.ts';
import { pauseCommand, resumeCommand } from './pause-commands.ts';
import { replaySession } from './replay-commands.ts';
import { inspectSession, listSessions, printToolOutput, tailSession } from './session-commands.ts';
import { notSetUpLine } from './set-up.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const names = naming('sbx');
const { admin, service } = provisioningUsers;
let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer({ config: provisioningUsers.config });
});
afterAll(async () => {
  await server.dispose();
});

/** Runs `signalbox init` as `user` in a process of its own, with `env` added to this one's. */
function initCommand(user: { user: string; password: string }, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['packages/cli/src/main.ts', 'init', '--nats', server.url, '--nats-user', user.user, '--nats-password', user.password];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr });
    });
  });
}

/** What the server holds: what a host would find missing, and the partition count of the partitions stream, if any. */
async function serverState(): Promise<{ missing: string[]; partitions?: number }> {
  const nc = await connect({ servers: server.url, user: admin.user, pass: admin.password });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(names.streams.eventPartitions).catch(() => undefined);
    return { missing: await missingProvisioning(nc, names), partitions: info && partitionCountOf(info.config) };
  } finally {
    await nc.close();
  }
}

describe('before signalbox init: a command on a JetStream server where nothing is set up', () => {
  const everything = requiredAssets(names).map(assetLabel);
  const as = (user: { user: string; password: string }): GlobalOptions => ({ nats: server.url, natsUser: user.user, natsPassword: user.password, prefix: 'sbx' });
  const admins = () => as(admin);

  it.each([
    ['sessions', () => listSessions(admins())],
    ['inspect', () => inspectSession(admins(), 'x')],
    ['tail', () => tailSession(admins(), 'x')],
    ['output', () => printToolOutput(admins(), 'a'.repeat(64))],
    ['replay', () => replaySession(admins(), 'x', {})],
    ['diff', () => diffCommand(admins(), 'a', 'b')],
    ['fork', () => forkSession(admins(), 'x', { at: '1' })],
    ['pause', () => pauseCommand(admins(), 'x', {})],
    ['resume', () => resumeCommand(admins(), 'x', {})],
    ['dlq', () => listDeadLetters(admins(), { limit: '20' })],
    ['redrive', () => redriveDeadLetters(admins(), ['1'])],
  ])('%s says Signalbox is not set up, names signalbox init, and creates nothing', async (_command, run) => {
    await expect(run()).rejects.toThrow(notSetUpLine('sbx', everything, everything.length));
    expect((await serverState()).missing).toEqual(everything);
  });

  it('one that stores something new (agents apply, submit), as a user that may not create streams, says that user may not', async () => {
    await expect(withClient(as(service), async () => undefined)).rejects.toThrow(notSetUpLine('sbx', everything, everything.length, { refused: true }));
    expect((await serverState()).missing).toEqual(everything);
  });

  it('a task a program submits through the SDK is refused as not set up, not as "jetstream is not enabled"', async () => {
    const nc = await connect({ servers: server.url, user: service.user, pass: service.password });
    try {
      const client = await SignalboxClient.open(nc);
      await expect(client.submit('demo', { input: 'x' })).rejects.toThrow('no stream takes sbx.tasks.demo here: Signalbox is not set up on this NATS (run `signalbox init`), or JetStream is off');
    } finally {
      await nc.close();
    }
  });
});

describe('signalbox init', () => {
  it('as a user that may not manage JetStream, says init needs one that may, and creates nothing', async () => {
    const result = await initCommand(service);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^signalbox: signalbox init needs a NATS user allowed to manage JetStream .*Permissions Violation/);
    const state = await serverState();
    expect(state.missing).toHaveLength(requiredAssets(names).length);
    expect(state.partitions).toBeUndefined();
  });

  it('creates every stream, bucket and object store, and the partitions stream with the partitions the hosts use', async () => {
    const result = await initCommand(admin, { SIGNALBOX_EVENT_PARTITIONS: '4' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(requiredAssets(names).length + 1);
    expect(lines.every((line) => line.startsWith('created '))).toBe(true);
    expect(lines).toEqual(expect.arrayContaining(['created stream SBX_EVENTS', 'created bucket sbx-agents', 'created object store sbx-workspace', 'created stream SBX_EVENT_PARTITIONS']));
    expect(await serverState()).toEqual({ missing: [], partitions: 4 });
  });

  it('runs again safely: streams brought up to date, buckets and object stores kept', async () => {
    const lines: string[] = [];
    await init({ nats: server.url, natsUser: admin.user, natsPassword: admin.password, prefix: 'sbx' }, (line) => lines.push(line));
    expect(lines).toHaveLength(requiredAssets(names).length + 1);
    expect(lines).toEqual(expect.arrayContaining(['updated stream SBX_EVENTS', 'updated stream SBX_EVENT_PARTITIONS', 'present bucket sbx-agents', 'present object store sbx-workspace']));
    expect(lines.filter((line) => line.startsWith('created'))).toEqual([]);
  });
});
