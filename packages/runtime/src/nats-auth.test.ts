import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationError, ConnectionError } from '@nats-io/nats-core';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromEnv, maskedConfig, natsAuthFromEnv } from './config.ts';
import { connectionFailure, maskNatsUrl, maskUrlsIn, natsAuthProblems, NatsAuthError, natsConnectOptions } from './nats-auth.ts';

const dir = mkdtempSync(join(tmpdir(), 'sbx-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = `SU${'A'.repeat(56)}`;

describe('masking', () => {
  it('shows a user but never a password or token, in every URL of a list', () => {
    expect(maskNatsUrl('nats://alice:s3cret@a:4222,tls://tok3n@b:4222,nats://c:4222')).toBe('nats://alice:***@a:4222,tls://***@b:4222,nats://c:4222');
    expect(maskUrlsIn('no NATS at nats://alice:s3cret@a:4222 (refused)')).toBe('no NATS at nats://alice:***@a:4222 (refused)');
  });
});

describe('natsConnectOptions', () => {
  it("takes user and password or a token from the URL's userinfo, and strips it from the servers", () => {
    const withUser = natsConnectOptions('nats://alice:p%40ss@a:4222,nats://alice:p%40ss@b:4222');
    expect(withUser.servers).toEqual(['a:4222', 'b:4222']);
    expect(withUser.authenticator?.()).toEqual({ user: 'alice', pass: 'p@ss' });
    expect(natsConnectOptions('nats://tok3n@a:4222').authenticator?.()).toEqual({ auth_token: 'tok3n' });
  });

  it('demands TLS for a tls:// URL or a TLS file, and passes the files', () => {
    expect(natsConnectOptions('tls://a:4222').tls).toEqual({});
    expect(natsConnectOptions('nats://a:4222').tls).toBeUndefined();
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'pem');
    expect(natsConnectOptions('nats://a:4222', { tlsCa: ca }).tls).toEqual({ caFile: ca });
  });

  it('refuses contradicting credentials without quoting any secret', () => {
    expect(() => natsConnectOptions('nats://a:4222', { token: 'tok3n', user: 'alice', password: 's3cret' })).toThrow(NatsAuthError);
    const problems = [
      ...natsAuthProblems('nats://alice:s3cret@a:4222', { token: 'tok3n' }),
      ...natsAuthProblems('nats://a:4222', { user: 'alice' }),
      ...natsAuthProblems('nats://a:4222', { tlsKey: join(dir, 'key.pem') }),
      ...natsAuthProblems('nats://a:4222', { credsFile: join(dir, 'missing.creds') }),
      ...natsAuthProblems('nats://a:4222', { nkeySeed: 'not-a-seed' }),
    ].join('\n');
    expect(problems).toMatch(/several kinds.*user and password, token/);
    expect(problems).toMatch(/user is set without a password/);
    expect(problems).toMatch(/client key is set without its certificate/);
    expect(problems).toMatch(/SIGNALBOX_NATS_CREDS names .*missing.creds, which cannot be read \(ENOENT\)/);
    expect(problems).toMatch(/not a user seed/);
    expect(problems).not.toMatch(/s3cret|tok3n|not-a-seed/);
    expect(natsAuthProblems('nats://a:4222', { nkeySeed: seed })).toEqual([]);
  });
});

describe('connectionFailure', () => {
  it('says authentication failed, or that nothing answers, with the URL masked', () => {
    const refused = connectionFailure('nats://alice:s3cret@a:4222', new AuthorizationError("'Authorization Violation'"));
    expect(refused.code).toBe('nats_auth_failed');
    expect(refused.message).toMatch(/authentication failed/);
    const absent = connectionFailure('nats://alice:s3cret@a:4222', new ConnectionError('connection refused'));
    expect(absent.code).toBe('nats_unreachable');
    expect(`${refused.message}${absent.message}`).not.toContain('s3cret');
    // A server refusing the client certificate may reset the socket before its TLS alert is read.
    expect(connectionFailure('tls://a:4222', new Error('read ECONNRESET'), true).code).toBe('nats_tls_failed');
  });
});

describe('configuration', () => {
  const env = { NATS_URL: 'nats://alice:s3cret@a:4222', SIGNALBOX_NATS_NKEY_SEED: seed, SIGNALBOX_NATS_TLS_CA: '/etc/ca.pem' };

  it('reads the SIGNALBOX_NATS_* variables, and masks every secret and URL when shown', () => {
    expect(natsAuthFromEnv(env)).toEqual({ nkeySeed: seed, tlsCa: '/etc/ca.pem' });
    const shown = JSON.stringify(maskedConfig(configFromEnv(env)));
    expect(shown).toContain('"natsUrl":"nats://alice:***@a:4222"');
    expect(shown).toContain('"nkeySeed":"[set]"');
    expect(shown).not.toMatch(/s3cret|SUAAAA/);
  });
});
