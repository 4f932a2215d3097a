import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { doctor } from '@signalbox/cli';
import { RuntimeConfig, startHost } from '@signalbox/runtime';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nkeyConfig, nkeyUser, operatorSetup, securedDir, tlsConfig, tlsFiles, type TlsFiles } from '../support/secured-nats.ts';

/**
 * Every kind of credentials a NATS deployment uses, each against a server that demands it: the host
 * connects and provisions, doctor reports, a wrong secret is refused as failed authentication, and no
 * output carries a secret.
 */

const password = 'pw-s3cret-9f2';
const token = 'tok-s3cret-41c';
const secrets = [password, token, 'wrong-pw-77'];

let dir: string;
let tls: TlsFiles;
let strangerTls: TlsFiles;
const nkey = nkeyUser();
const stranger = nkeyUser();
const servers: Record<string, NatsServer> = {};
let creds: string;
let strangerCreds: string;

beforeAll(async () => {
  dir = await securedDir();
  [tls, strangerTls] = await Promise.all([tlsFiles(dir), tlsFiles(dir, 'other-')]);
  const operator = await operatorSetup(dir);
  creds = operator.creds;
  strangerCreds = (await operatorSetup(dir, 'stranger.creds')).creds;
  secrets.push(nkey.seed, stranger.seed);
  const configs = {
    password: `authorization { user: alice, password: "${password}" }`,
    token: `authorization { token: "${token}" }`,
    nkey: nkeyConfig(nkey.publicKey),
    creds: operator.config,
    tls: tlsConfig(tls),
  };
  // One after another: five containers started at once on a loaded machine once left one not ready.
  for (const [kind, config] of Object.entries(configs)) servers[kind] = await startNatsServer({ config, mounts: [dir] });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.dispose()));
  await rm(dir, { recursive: true, force: true });
});

const hostPort = (kind: string) => `127.0.0.1:${servers[kind]?.port}`;

/** What each kind connects with, right and wrong: a URL and the config's natsAuth. */
function settings(kind: string, right: boolean): { natsUrl: string; natsAuth: RuntimeConfig['natsAuth'] } {
  switch (kind) {
    case 'password':
      return { natsUrl: `nats://alice:${right ? password : 'wrong-pw-77'}@${hostPort(kind)}`, natsAuth: {} };
    case 'token':
      return { natsUrl: `nats://${hostPort(kind)}`, natsAuth: { token: right ? token : 'wrong-pw-77' } };
    case 'nkey':
      return { natsUrl: `nats://${hostPort(kind)}`, natsAuth: { nkeySeed: (right ? nkey : stranger).seed } };
    case 'creds':
      return { natsUrl: `nats://${hostPort(kind)}`, natsAuth: { credsFile: right ? creds : strangerCreds } };
    case 'tls': {
      const files = right ? tls : strangerTls;
      return { natsUrl: `tls://${hostPort(kind)}`, natsAuth: { tlsCa: tls.ca, tlsCert: files.clientCert, tlsKey: files.clientKey } };
    }
    default:
      throw new Error(`no settings for ${kind}`);
  }
}

/** Runs doctor in-process with the settings as flags, collecting what it prints. */
async function runDoctor(kind: string, right: boolean): Promise<{ code: number; printed: string }> {
  const { natsUrl, natsAuth } = settings(kind, right);
  const flags = { natsToken: natsAuth.token, natsCreds: natsAuth.credsFile, natsTlsCa: natsAuth.tlsCa, natsTlsCert: natsAuth.tlsCert, natsTlsKey: natsAuth.tlsKey };
  const seedFile = join(dir, `${kind}-${right}.nk`);
  if (natsAuth.nkeySeed) await writeFile(seedFile, natsAuth.nkeySeed, { mode: 0o600 });
  const lines: string[] = [];
  const options = { nats: natsUrl, prefix: 'sbx', ...flags, natsNkey: natsAuth.nkeySeed ? seedFile : undefined };
  const code = await doctor(options, { json: true, monitor: servers[kind]?.monitorUrl }, { write: (line) => lines.push(line), colour: false });
  return { code, printed: lines.join('\n') };
}

const noSecretIn = (text: string) => {
  for (const secret of secrets) expect(text).not.toContain(secret);
};

describe.each(['password', 'token', 'nkey', 'creds', 'tls'])('a server that demands %s', (kind) => {
  it('lets a host connect and provision, and doctor report, without printing a secret', async () => {
    const host = await startHost([], RuntimeConfig.parse({ ...settings(kind, true), logLevel: 'silent' }));
    await host.stop();
    const { code, printed } = await runDoctor(kind, true);
    expect(code).toBe(0);
    const { findings } = JSON.parse(printed) as { findings: { message: string }[] };
    expect(findings.map((finding) => finding.message).join('\n')).toMatch(/every sbx stream and bucket exists/);
    noSecretIn(printed);
  });

  it('refuses wrong credentials with a clear error that carries no secret', async () => {
    const failure = await startHost([], RuntimeConfig.parse({ ...settings(kind, false), logLevel: 'silent' })).then(
      () => new Error('connected'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(kind === 'tls' ? /TLS with NATS at tls:\/\/127\.0\.0\.1:\d+ failed/ : /authentication failed/);
    expect(failure.message).not.toMatch(/no NATS server answers/);
    const doctorFailure = await runDoctor(kind, false).then((result) => new Error(`doctor printed ${result.printed}`), (error: Error) => error);
    expect(doctorFailure.message).toMatch(kind === 'tls' ? /TLS with NATS/ : /authentication failed/);
    noSecretIn(`${failure.message}\n${doctorFailure.message}`);
  });
});

describe('the signalbox command', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    promisify(execFile)(process.execPath, ['packages/cli/src/main.ts', ...args], { cwd: root, env: { ...process.env, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('takes credentials from the URL and SIGNALBOX_NATS_* variables, and masks them in what it prints', async () => {
    const wrong = await cli({ NATS_URL: `nats://alice:wrong-pw-77@${hostPort('password')}` }, 'doctor');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/NATS at nats:\/\/alice:\*\*\*@127\.0\.0\.1:\d+ refused the credentials: authentication failed/);
    const right = await cli({ SIGNALBOX_NATS_USER: 'alice', SIGNALBOX_NATS_PASSWORD: password, NATS_URL: `nats://${hostPort('password')}` }, 'doctor', '--json');
    expect(right.code).toBe(0);
    expect(JSON.parse(right.stdout).config.natsAuth).toMatchObject({ user: 'alice', password: '[set]' });
    noSecretIn([wrong, right].map((result) => `${result.stdout}${result.stderr}`).join('\n'));
  });

  it('doctor names credentials that contradict each other, before connecting', async () => {
    const lines: string[] = [];
    const options = { nats: `nats://alice:${password}@${hostPort('password')}`, natsToken: token, natsTlsKey: join(dir, 'client-key.pem'), prefix: 'sbx' };
    expect(await doctor(options, {}, { write: (line) => lines.push(line), colour: false })).toBe(1);
    expect(lines.join('\n')).toMatch(/several kinds are set \(user and password, token\)/);
    expect(lines.join('\n')).toMatch(/TLS client key is set without its certificate/);
    noSecretIn(lines.join('\n'));
  });
});
