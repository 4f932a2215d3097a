import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator, type TlsOptions } from '@nats-io/nats-core';
import { z } from 'zod';

/**
 * How a process proves who it is to NATS: at most one of user and password, token, NKey seed and
 * creds file, plus TLS. Files are paths, read when connecting. The URL's userinfo (`nats://user:pass@host`,
 * `nats://token@host`) counts as user and password or token.
 */
export const NatsAuth = z.object({
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  nkeySeed: z.string().min(1).optional(),
  nkeySeedFile: z.string().min(1).optional(),
  credsFile: z.string().min(1).optional(),
  tlsCa: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /**
   * Where this connection hears the answers to its requests (`_INBOX` when unset). A server that
   * limits what a user may subscribe to names the prefix: a task publisher gets `_INBOX.<its name>`,
   * so it hears its own replies and no one else's.
   */
  inboxPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*$/, 'an inbox prefix is subject tokens joined by dots, without wildcards or spaces')
    .optional(),
});
export type NatsAuth = z.infer<typeof NatsAuth>;

/** What `connect` needs to reach and authenticate: the servers without their userinfo. */
export interface NatsConnectOptions {
  servers: string[];
  authenticator?: Authenticator;
  tls?: TlsOptions;
  inboxPrefix?: string;
}

/** Credentials that contradict each other or cannot be read: the message names the setting, never its value. */
export class NatsAuthError extends Error {
  override readonly name = 'NatsAuthError';
  readonly code = 'invalid_nats_auth';
}

/** Why a connection failed, in words a person can act on; the URLs in it are masked. */
export class NatsConnectionError extends Error {
  override readonly name = 'NatsConnectionError';
  readonly code: 'nats_auth_failed' | 'nats_tls_failed' | 'nats_unreachable';
  constructor(code: NatsConnectionError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const userinfoPattern = /^([a-z][a-z0-9+.-]*:\/\/)([^@/\s]*)@/i;

/** `servers` (comma-separated) with userinfo shown as `user:***` or `***`: safe to print. */
export function maskNatsUrl(servers: string): string {
  return servers.split(',').map(maskOne).join(',');
}

function maskOne(url: string): string {
  return url.replace(userinfoPattern, (_all, scheme: string, info: string) => `${scheme}${info.includes(':') ? `${info.slice(0, info.indexOf(':'))}:***` : '***'}@`);
}

/** Any text (an error message, a log line) with the userinfo of every URL in it masked. */
export function maskUrlsIn(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^@/\s]+)@/gi, (_all, scheme: string, info: string) => maskOne(`${scheme}${info}@`));
}

interface ParsedServer {
  server: string;
  user?: string;
  password?: string;
  token?: string;
  tls: boolean;
}

function parseServer(url: string): ParsedServer {
  const trimmed = url.trim();
  const tls = /^tls:\/\//i.test(trimmed);
  const match = userinfoPattern.exec(trimmed);
  if (!match) return { server: trimmed, tls };
  const server = trimmed.slice(match[0].length);
  const info = match[2] ?? '';
  const colon = info.indexOf(':');
  if (colon === -1) return { server, tls, token: decodeURIComponent(info) };
  return { server, tls, user: decodeURIComponent(info.slice(0, colon)), password: decodeURIComponent(info.slice(colon + 1)) };
}

/** The credentials in effect: the settings, with the URL's userinfo where the settings give none. */
function effectiveAuth(servers: string, auth: NatsAuth): { parsed: ParsedServer[]; auth: NatsAuth; problems: string[] } {
  const parsed = servers.split(',').map(parseServer);
  const problems: string[] = [];
  const withInfo = parsed.filter((server) => server.user !== undefined || server.token !== undefined);
  const first = withInfo[0];
  const merged: NatsAuth = { ...auth };
  if (first) {
    if (withInfo.some((server) => server.user !== first.user || server.password !== first.password || server.token !== first.token)) {
      problems.push('the NATS URLs carry different credentials: give them once (SIGNALBOX_NATS_USER and SIGNALBOX_NATS_PASSWORD, or SIGNALBOX_NATS_TOKEN)');
    }
    if (auth.user || auth.password || auth.token) problems.push('the NATS URL carries credentials and so do the settings: give them in one place');
    merged.user ??= first.user;
    merged.password ??= first.password;
    merged.token ??= first.token;
  }
  return { parsed, auth: merged, problems };
}

/** What is wrong with these credentials, one sentence each (empty when nothing is); values are never quoted. */
export function natsAuthProblems(servers: string, auth: NatsAuth): string[] {
  const { auth: merged, problems } = effectiveAuth(servers, auth);
  const kinds = [
    merged.user !== undefined || merged.password !== undefined ? 'user and password' : undefined,
    merged.token !== undefined ? 'token' : undefined,
    merged.nkeySeed !== undefined || merged.nkeySeedFile !== undefined ? 'NKey seed' : undefined,
    merged.credsFile !== undefined ? 'creds file' : undefined,
  ].filter((kind) => kind !== undefined);
  if (kinds.length > 1) problems.push(`NATS credentials of several kinds are set (${kinds.join(', ')}): a connection uses one; unset the others`);
  if (merged.user !== undefined && merged.password === undefined) problems.push('a NATS user is set without a password (SIGNALBOX_NATS_PASSWORD)');
  if (merged.password !== undefined && merged.user === undefined) problems.push('a NATS password is set without a user (SIGNALBOX_NATS_USER)');
  if (merged.nkeySeed !== undefined && merged.nkeySeedFile !== undefined) problems.push('both SIGNALBOX_NATS_NKEY_SEED and SIGNALBOX_NATS_NKEY_SEED_FILE are set: give one');
  if (merged.tlsKey !== undefined && merged.tlsCert === undefined) problems.push('a TLS client key is set without its certificate (SIGNALBOX_NATS_TLS_CERT)');
  if (merged.tlsCert !== undefined && merged.tlsKey === undefined) problems.push('a TLS client certificate is set without its key (SIGNALBOX_NATS_TLS_KEY)');
  const files: [string, string | undefined][] = [
    ['SIGNALBOX_NATS_CREDS', merged.credsFile],
    ['SIGNALBOX_NATS_NKEY_SEED_FILE', merged.nkeySeedFile],
    ['SIGNALBOX_NATS_TLS_CA', merged.tlsCa],
    ['SIGNALBOX_NATS_TLS_CERT', merged.tlsCert],
    ['SIGNALBOX_NATS_TLS_KEY', merged.tlsKey],
  ];
  for (const [variable, path] of files) {
    const unreadable = path === undefined ? undefined : unreadableBecause(path);
    if (unreadable) problems.push(`${variable} names ${path}, which cannot be read (${unreadable})`);
  }
  const seed = merged.nkeySeed ?? (merged.nkeySeedFile && !unreadableBecause(merged.nkeySeedFile) ? readFileSync(merged.nkeySeedFile, 'utf8').trim() : undefined);
  if (seed !== undefined && !/^SU[A-Z2-7]{56}$/.test(seed)) problems.push('the NKey seed is not a user seed (58 characters starting SU)');
  return problems;
}

function unreadableBecause(path: string): string | undefined {
  try {
    readFileSync(path);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/**
 * The one place connection options are made from settings: every process, the CLI and the tests
 * connect through it, so they agree. Throws NatsAuthError when the credentials contradict each other.
 */
export function natsConnectOptions(servers: string, auth: NatsAuth = {}): NatsConnectOptions {
  const problems = natsAuthProblems(servers, auth);
  if (problems.length > 0) throw new NatsAuthError(`cannot connect to ${maskNatsUrl(servers)}: ${problems.join('; ')}`);
  const { parsed, auth: merged } = effectiveAuth(servers, auth);
  const options: NatsConnectOptions = { servers: parsed.map((server) => server.server) };
  const authenticator = authenticatorOf(merged);
  if (authenticator) options.authenticator = authenticator;
  if (merged.inboxPrefix) options.inboxPrefix = merged.inboxPrefix;
  const tls: TlsOptions = {
    ...(merged.tlsCa ? { caFile: merged.tlsCa } : {}),
    ...(merged.tlsCert ? { certFile: merged.tlsCert } : {}),
    ...(merged.tlsKey ? { keyFile: merged.tlsKey } : {}),
  };
  // A tls:// URL, or any TLS file, demands TLS: a server without it is refused rather than spoken to in clear.
  if (parsed.some((server) => server.tls) || Object.keys(tls).length > 0) options.tls = tls;
  return options;
}

function authenticatorOf(auth: NatsAuth): Authenticator | undefined {
  const encoder = new TextEncoder();
  if (auth.user !== undefined) return usernamePasswordAuthenticator(auth.user, auth.password);
  if (auth.token !== undefined) return tokenAuthenticator(auth.token);
  if (auth.credsFile !== undefined) return credsAuthenticator(readFileSync(auth.credsFile));
  const seed = auth.nkeySeed ?? (auth.nkeySeedFile ? readFileSync(auth.nkeySeedFile, 'utf8').trim() : undefined);
  if (seed !== undefined) return nkeyAuthenticator(encoder.encode(seed));
  return undefined;
}

/**
 * A failed connect as a NatsConnectionError saying what went wrong (authentication, TLS, nothing
 * answering), URLs masked. `usingTls`: the connection asked for TLS, so a reset is TLS's refusal.
 */
export function connectionFailure(servers: string, error: unknown, usingTls = false): NatsConnectionError {
  const at = maskNatsUrl(servers);
  const text = maskUrlsIn(error instanceof Error ? error.message : String(error));
  const name = error instanceof Error ? error.name : '';
  if (name === 'AuthorizationError' || /authori[sz]ation violation|authentication/i.test(text)) {
    return new NatsConnectionError('nats_auth_failed', `NATS at ${at} refused the credentials: authentication failed (${text}). Check the user, password, token, NKey or creds file`, { cause: error });
  }
  // A server that refuses a client certificate may reset the socket before its TLS alert is read.
  if (/tls|certificate|ssl|self.signed|handshake/i.test(text) || (usingTls && /ECONNRESET|socket hang up/.test(text))) {
    return new NatsConnectionError('nats_tls_failed', `TLS with NATS at ${at} failed (${text}). Check SIGNALBOX_NATS_TLS_CA, _CERT and _KEY, and whether the URL should be tls://`, { cause: error });
  }
  return new NatsConnectionError('nats_unreachable', `no NATS server answers at ${at} (${text})`, { cause: error });
}
