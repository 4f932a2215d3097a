import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';

/**
 * Material for nats-servers that demand each kind of credentials Signalbox connects with: config
 * snippets for startNatsServer, and the client side of each. Generated at test time in `dir`.
 */

const run = promisify(execFile);

/** A temp dir for keys, certificates and creds files; the caller removes it. */
export function securedDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sbx-secured-'));
}

/** An NKey user: the server trusts its public key; the client signs with its seed. */
export function nkeyUser(): { publicKey: string; seed: string } {
  const user = createUser();
  return { publicKey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) };
}

/** A config naming one NKey user. */
export function nkeyConfig(publicKey: string): string {
  return `authorization { users: [ { nkey: ${publicKey} } ] }`;
}

/**
 * Decentralized auth: an operator, an account with JetStream, and a user in it, with a memory resolver.
 * Returns the server config and the path of the user's creds file.
 */
export async function operatorSetup(dir: string, file = 'user.creds'): Promise<{ config: string; creds: string }> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const user = createUser();
  const unlimited = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const operatorJwt = await encodeOperator('sbx-test', operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const accountJwt = await encodeAccount('signalbox', account, { limits: unlimited }, { signer: operator });
  const userJwt = await encodeUser('service', user, account);
  const creds = join(dir, file);
  await writeFile(creds, fmtCreds(userJwt, user), { mode: 0o600 });
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: { ${system.getPublicKey()}: ${systemJwt}, ${account.getPublicKey()}: ${accountJwt} }`,
  ].join('\n');
  return { config, creds };
}

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
export async function tlsFiles(dir: string, prefix = ''): Promise<TlsFiles> {
  const path = (name: string) => join(dir, `${prefix}${name}`);
  const openssl = (...args: string[]) => run('openssl', args);
  const files: TlsFiles = { ca: path('ca.pem'), serverCert: path('server.pem'), serverKey: path('server-key.pem'), clientCert: path('client.pem'), clientKey: path('client-key.pem') };
  const caKey = path('ca-key.pem');
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=sbx-test-ca', '-keyout', caKey, '-out', files.ca);
  const signed = async (cert: string, key: string, cn: string, extensions: string) => {
    const csr = `${cert}.csr`;
    const ext = `${cert}.ext`;
    await writeFile(ext, extensions);
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', csr);
    await openssl('x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-out', cert, '-extfile', ext);
  };
  await signed(files.serverCert, files.serverKey, 'nats', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await signed(files.clientCert, files.clientKey, 'signalbox', 'extendedKeyUsage=clientAuth\n');
  return files;
}

/** A config that requires TLS and a client certificate signed by the CA. */
export function tlsConfig(files: TlsFiles): string {
  return `tls { cert_file: "${files.serverCert}", key_file: "${files.serverKey}", ca_file: "${files.ca}", verify: true, timeout: 2 }`;
}
