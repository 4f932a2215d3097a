import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { ApiTokens, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';

/** `signalbox tokens` and `signalbox console`: the secret printed once, on stdout alone, and stored only hashed. */
let server: NatsServer;
let nc: NatsConnection;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, naming('sbx'));
  env = { PATH: process.env.PATH, NATS_URL: server.url, NO_COLOR: '1' };
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

describe('signalbox tokens', () => {
  it('creates a token, printing its secret once on stdout, lists it without one, and revokes it', async () => {
    const created = await runCli(['tokens', 'create', 'ci-bot', '--scopes', 'read,submit'], { env });
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sbxt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown this once');
    expect(await (await ApiTokens.open(nc, naming('sbx'))).verify(secret)).toMatchObject({ name: 'ci-bot', scopes: ['read', 'submit'] });

    const listed = await runCli(['tokens', 'list'], { env });
    expect(listed.stdout).toMatch(/^ci-bot\s+read,submit\s+\d{4}-/);
    expect(listed.stdout).not.toContain(secret);
    const json = JSON.parse((await runCli(['tokens', '--json'], { env })).stdout) as unknown[];
    expect(json).toEqual([{ name: 'ci-bot', scopes: ['read', 'submit'], createdAt: expect.any(Number) }]);

    expect(await runCli(['tokens', 'create', 'ci-bot', '--scopes', 'read'], { env })).toMatchObject({ code: 1, stderr: expect.stringContaining('a token named "ci-bot" exists') });
    expect(await runCli(['tokens', 'revoke', 'ci-bot'], { env })).toMatchObject({ code: 0, stdout: 'revoked token ci-bot\n' });
    expect(await (await ApiTokens.open(nc, naming('sbx'))).verify(secret)).toBeUndefined();
    expect(await runCli(['tokens', 'revoke', 'ci-bot'], { env })).toMatchObject({ code: 1, stderr: expect.stringContaining('no token named "ci-bot"') });
  });

  it('refuses an unknown scope, naming the scopes there are', async () => {
    expect(await runCli(['tokens', 'create', 'x', '--scopes', 'read,root'], { env })).toMatchObject({ code: 1, stderr: expect.stringContaining('read, submit, approve, admin') });
  });

  it("prints the console's address as this environment sets it", async () => {
    expect((await runCli(['console'], { env })).stdout).toBe('http://127.0.0.1:8470/\n');
    expect((await runCli(['console'], { env: { ...env, SIGNALBOX_GATEWAY_PORT: '9001' } })).stdout).toBe('http://127.0.0.1:9001/\n');
  });
});
