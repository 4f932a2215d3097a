import { rm } from 'node:fs/promises';
import { credentialsFor, ensureNats } from '@signalbox/cli';
import { connectAuthenticated, type NatsAuth } from '@signalbox/runtime';
import { freePort } from '@signalbox/testing';
import { expect, it } from 'vitest';
import { securedDir, tlsFiles } from '../support/secured-nats.ts';

it('`up` reaches the open nats-server it starts itself without the TLS and credentials meant for another', async () => {
  const dir = await securedDir();
  const tls = await tlsFiles(dir);
  const configured: NatsAuth = { user: 'signalbox', password: 's3cret', tlsCa: tls.ca, tlsCert: tls.clientCert, tlsKey: tls.clientKey, inboxPrefix: '_INBOX.ops' };
  // Nothing answers where `up` looks first, so it starts a server of its own.
  const local = await ensureNats(undefined, `${dir}/nats`, { defaultUrl: `nats://127.0.0.1:${await freePort()}`, auth: configured });
  try {
    expect(local.child).toBeDefined();
    await expect(connectAuthenticated(local.url, configured, { reconnect: false })).rejects.toThrow(/TLS/);
    expect(credentialsFor(local, configured)).toEqual({ inboxPrefix: '_INBOX.ops' });
    const nc = await connectAuthenticated(local.url, credentialsFor(local, configured), { reconnect: false });
    await nc.close();
    // A server that was already there gets the configured credentials, as every other command does.
    expect(credentialsFor({ url: local.url }, configured)).toBe(configured);
  } finally {
    local.child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
