import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { provision, vaultKeyInFile } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'secrets-cli-'));
const keyFile = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(32).toString('base64'));
  return path;
};
const oldKey = keyFile('old.key');
const newKey = keyFile('new.key');
const value = 'ghp_cli-canary-31d7a0';
let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  await provision(nc, naming('sbx'));
  await nc.close();
});
afterAll(async () => server?.dispose());

/** Runs the CLI with `stdin` on its standard input; resolves to its exit code and output. */
function signalbox(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['packages/cli/src/main.ts', '--nats', server.url, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

describe('signalbox secrets', () => {
  it('sets a secret from standard input, lists names only, rotates to a new key and deletes it', async () => {
    const asOld = { SIGNALBOX_SECRETS_KEY_FILE: oldKey };
    const set = await signalbox(['secrets', 'set', 'GITHUB_TOKEN'], asOld, `${value}\n`);
    expect(set).toMatchObject({ code: 0, stdout: `set secret GITHUB_TOKEN (sealed under key ${vaultKeyInFile(oldKey, 'k').id})\n` });

    const listed = await signalbox(['secrets'], {});
    expect(listed.stdout).toMatch(new RegExp(`^GITHUB_TOKEN +key ${vaultKeyInFile(oldKey, 'k').id}\n$`));
    expect(listed.stdout + set.stdout + set.stderr).not.toContain(value);

    const rotated = await signalbox(['secrets', 'rotate', '--new-key-file', newKey, '--json'], asOld);
    expect(JSON.parse(rotated.stdout)).toEqual({ keyId: vaultKeyInFile(newKey, 'k').id, secrets: ['GITHUB_TOKEN'] });
    // With the new key current and the old one gone, the value opens, and is what was set (the trailing line break dropped).
    const nc = await connect({ servers: server.url });
    const stored = (await (await new Kvm(nc).open('sbx-secrets')).get('GITHUB_TOKEN'))?.string() ?? '';
    await nc.close();
    expect(stored).toContain(`"keyId":"${vaultKeyInFile(newKey, 'k').id}"`);
    expect(stored).not.toContain(value);

    expect(await signalbox(['secrets', 'delete', 'GITHUB_TOKEN'], {})).toMatchObject({ code: 0, stdout: 'deleted secret GITHUB_TOKEN: calls granted it now fail until it is set again\n' });
    expect(await signalbox(['secrets', 'delete', 'GITHUB_TOKEN'], {})).toMatchObject({ code: 1, stderr: expect.stringMatching(/no secret GITHUB_TOKEN/) });
  });

  it('refuses to set without a key, with a bad key file, or under a name with dots or wildcards', async () => {
    expect(await signalbox(['secrets', 'set', 'A'], {}, 'x')).toMatchObject({ code: 1, stderr: expect.stringMatching(/no vault key: set SIGNALBOX_SECRETS_KEY_FILE/) });
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'short');
    expect(await signalbox(['secrets', 'set', 'A'], { SIGNALBOX_SECRETS_KEY_FILE: bad }, 'x')).toMatchObject({ code: 1, stderr: expect.stringMatching(/SIGNALBOX_SECRETS_KEY_FILE .*does not hold a vault key/) });
    for (const name of ['sbx.*']) {
      expect(await signalbox(['secrets', 'set', name], { SIGNALBOX_SECRETS_KEY_FILE: oldKey }, 'x')).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot name a secret/) });
    }
    expect(await signalbox(['secrets', 'set', 'EMPTY'], { SIGNALBOX_SECRETS_KEY_FILE: oldKey }, '\n')).toMatchObject({ code: 1, stderr: expect.stringMatching(/the value of EMPTY is empty/) });
    expect(await signalbox(['secrets', 'set', 'HUGE'], { SIGNALBOX_SECRETS_KEY_FILE: oldKey }, 'x'.repeat(70_000))).toMatchObject({ code: 1, stderr: expect.stringMatching(/at most 65536/) });
  });

  it('rotates nothing with a key that opens no secret, and says which key it needs', async () => {
    await signalbox(['secrets', 'set', 'KEPT'], { SIGNALBOX_SECRETS_KEY_FILE: oldKey }, 'kept-value');
    const stranger = keyFile('stranger.key');
    const refused = await signalbox(['secrets', 'rotate', '--new-key-file', newKey], { SIGNALBOX_SECRETS_KEY_FILE: stranger });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`KEPT is sealed under key ${vaultKeyInFile(oldKey, 'k').id}`)) });
    expect((await signalbox(['secrets'], {})).stdout).toContain(vaultKeyInFile(oldKey, 'k').id);
  });
});
