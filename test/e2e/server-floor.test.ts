import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { ensureNats } from '@signalbox/cli';
import { SignalboxClient } from '@signalbox/client';
import { RuntimeConfig, startHost } from '@signalbox/runtime';
import { isAtLeast, serverFloor, UnsupportedServerError } from '@signalbox/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOldNatsServer, type OldNatsServer } from '../support/old-nats-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let old: OldNatsServer;
beforeAll(async () => {
  old = await startOldNatsServer('2.9.10');
});
afterAll(async () => {
  await old?.close();
});

describe('a nats-server older than the floor', () => {
  it('is refused by every service host, naming the version and what to do, never the credentials', async () => {
    const withPassword = old.url.replace('nats://', 'nats://admin:s3cret@');
    const starting = startHost([], RuntimeConfig.parse({ natsUrl: withPassword, logLevel: 'silent' }));
    await expect(starting).rejects.toBeInstanceOf(UnsupportedServerError);
    const error = (await starting.catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/^nats-server 2\.9\.10 at 127\.0\.0\.1:\d+ is older than 2\.12\.0.*scripts\/nats-server\.sh/);
    expect(error.message).not.toContain('s3cret');
  });

  it('is refused by the client SDK', async () => {
    const nc = await connect({ servers: old.url });
    try {
      await expect(SignalboxClient.open(nc)).rejects.toThrow(/older than 2\.12\.0/);
    } finally {
      await nc.close();
    }
  });

  it('is refused by the CLI, which exits 1 with the reason', async () => {
    const run = promisify(execFile)(process.execPath, ['packages/cli/src/main.ts', '--nats', old.url, 'sessions'], { cwd: root, timeout: 20_000 });
    const failure = (await run.then(() => undefined, (error: unknown) => error)) as { code: number; stderr: string } | undefined;
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/^signalbox: nats-server 2\.9\.10 at .* is older than 2\.12\.0/);
  });

  it('is passed over by `up` and the demo, which start a current server of their own and say why', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sbx-local-nats-'));
    const local = await ensureNats(undefined, dataDir, { defaultUrl: old.url });
    try {
      expect(local.child).toBeDefined();
      expect(local.url).not.toBe(old.url);
      expect(local.notice).toMatch(/^the nats-server at 127\.0\.0\.1:\d+ is 2\.9\.10, older than 2\.12\.0 .*started nats-server \S+ at nats:\/\/127\.0\.0\.1:\d+ for this run instead/);
      const nc = await connect({ servers: local.url });
      expect(isAtLeast(nc.info?.version ?? '', serverFloor)).toBe(true);
      await nc.close();
    } finally {
      local.child?.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
