/** The first commands of a new user, on a NATS server of their own with JetStream on and nothing of Signalbox yet. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { assetLabel, missingProvisioning, requiredAssets } from '@signalbox/store';
import { provisioningUsers, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, runCli, type CliRun } from '../support/cli-process.ts';

const names = naming('sbx');
const { admin, service } = provisioningUsers;
const version = (JSON.parse(readFileSync(join(checkout, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
let server: NatsServer;
let compileCache: string;
/** The admin's connection, to see what the server holds. */
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ config: provisioningUsers.config });
  compileCache = await mkdtemp(join(tmpdir(), 'sbx-new-user-cache-'));
  nc = await connect({ servers: server.url, user: admin.user, pass: admin.password });
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  if (compileCache) await rm(compileCache, { recursive: true, force: true });
});

/** Runs `signalbox <args>` as `user` (the admin unless said). */
function cli(args: string[], user: { user: string; password: string } = admin): Promise<CliRun> {
  // Every command is a fresh node process; caching compiled modules roughly halves its start-up.
  const env = { ...process.env, NO_COLOR: '1', LOG_LEVEL: 'silent', NODE_COMPILE_CACHE: compileCache };
  return runCli([...args, '--nats', server.url, '--nats-user', user.user, '--nats-password', user.password], { env });
}

const everything = requiredAssets(names).map(assetLabel);

describe('the first hour of a new user', { timeout: 60_000 }, () => {
  it('before anything is set up: one line naming signalbox init, exit 1; a bad flag is refused in its own words before anything is sent', async () => {
    const [sessions, refused, badFlag] = await Promise.all([
      cli(['sessions']),
      cli(['agents', 'apply', '-f', 'deploy/agents/demo.yaml'], service),
      cli(['submit', 'demo', 'hello', '--max-steps', '0']),
    ]);
    expect(sessions).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'signalbox: Signalbox is not set up on this NATS (no streams or buckets with prefix sbx): run `signalbox init` as a user allowed to manage JetStream (or start the services once: they create them)\n',
    });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr.trimEnd().split('\n').at(-1)).toBe(
      'signalbox: Signalbox is not set up on this NATS (no streams or buckets with prefix sbx), and this NATS user may not create them: run `signalbox init` as a user allowed to manage JetStream',
    );
    expect(badFlag).toEqual({ code: 1, stdout: '', stderr: 'signalbox: --max-steps must be a whole number of at least 1, not "0"\n' });
    expect(await missingProvisioning(nc, names)).toEqual(everything);
  });

  it('agents apply as a user that may manage JetStream sets everything up; then an unknown session is an error at once', async () => {
    const applied = await cli(['agents', 'apply', '-f', 'deploy/agents/demo.yaml']);
    expect(applied).toMatchObject({ code: 0, stdout: 'applied agent demo (scripted)\n' });
    expect(await missingProvisioning(nc, names)).toEqual([]);
    const started = performance.now();
    expect(await cli(['tail', 'nobody'])).toEqual({ code: 1, stdout: '', stderr: 'signalbox: no session nobody\n' });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('--version prints the version; every help shows the global options and marks the required ones; bench --help lists the benchmarks', async () => {
    const [printed, fork, apply, bench] = await Promise.all([cli(['--version']), cli(['fork', '--help']), cli(['agents', 'apply', '--help']), cli(['bench', '--help'])]);
    expect(printed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    for (const help of [fork, apply, bench]) expect(help.stdout).toMatch(/Global Options:[\s\S]*--nats <url>[\s\S]*--prefix <prefix>/);
    expect(fork.stdout).toMatch(/--at <n> +the fork's first n events are the original's\s+\(required\)/);
    expect(apply.stdout).toMatch(/-f, --file <file> +the YAML or JSON file of agent definitions[^\n]*\n[^\n]*\(required\)/);
    expect(bench.stdout).toMatch(/Benchmarks \(test\/bench\/\):\n[\s\S]*^ {2}step-overhead +Per-step overhead/m);
  });
});
