import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connectAuthenticated, maskNatsUrl, NatsConnectionError, type NatsAuth } from '@signalbox/runtime';
import { isAtLeast, serverFloor } from '@signalbox/store';
import { currentNatsBinary } from './nats-binary.ts';

export interface LocalNats {
  url: string;
  /** Set when this process started the server; stop it on exit. */
  child?: ChildProcess;
  /** What the person running the command should know about the choice (an old server passed over). */
  notice?: string;
}

const standardUrl = 'nats://127.0.0.1:4222';

type Probe = { status: 'unreachable' } | { status: 'refused'; failure: NatsConnectionError } | { status: 'answered'; version: string };

export interface EnsureNatsOptions {
  /** Where a local server is looked for first (default nats://127.0.0.1:4222). */
  defaultUrl?: string;
  /** The credentials to connect with (a server started here needs none). */
  auth?: NatsAuth;
}

/**
 * The NATS to use: `--nats`/NATS_URL when given; else `defaultUrl` (127.0.0.1:4222) when a current
 * server answers there; else a current nats-server started with its data under `dataDir` (on 4222
 * when nothing answers there, else on a port of its own, as when an older server holds 4222).
 * Throws a how-to when none works.
 */
export async function ensureNats(explicitUrl: string | undefined, dataDir: string, options: EnsureNatsOptions = {}): Promise<LocalNats> {
  const { defaultUrl = standardUrl, auth = {} } = options;
  if (explicitUrl) {
    const found = await probe(explicitUrl, auth);
    if (found.status === 'answered') return { url: explicitUrl };
    if (found.status === 'refused') throw found.failure;
    throw new Error(`no NATS server answers at ${maskNatsUrl(explicitUrl)}. Start one with: nats-server -js`);
  }
  const found = await probe(defaultUrl, auth);
  // A server that is there but refuses these credentials is not replaced by one of our own.
  if (found.status === 'refused') throw found.failure;
  if (found.status === 'answered' && isAtLeast(found.version, serverFloor)) return { url: defaultUrl };
  const binary = await currentNatsBinary();
  mkdirSync(dataDir, { recursive: true });
  const { child, port } = await startServer(binary.path, dataDir, found.status === 'answered' ? -1 : Number(new URL(defaultUrl).port));
  const url = `nats://127.0.0.1:${port}`;
  if (found.status === 'unreachable') return { url, child };
  return {
    url,
    child,
    notice:
      `the nats-server at ${new URL(defaultUrl).host} is ${found.version}, older than ${serverFloor} (the oldest Signalbox supports); ` +
      `started nats-server ${binary.version} at ${url} for this run instead (NATS_URL=${url} for other commands)`,
  };
}

/**
 * The credentials to reach `nats` with: the configured ones, except for a server started here, which
 * is local and open (no users, no TLS): they are meant for another server, and TLS would fail on it.
 * The inbox prefix is kept, as it is not a credential.
 */
export function credentialsFor(nats: LocalNats, configured: NatsAuth): NatsAuth {
  if (!nats.child) return configured;
  return configured.inboxPrefix === undefined ? {} : { inboxPrefix: configured.inboxPrefix };
}

/** Stops a server this process started, and waits until it has exited (SIGKILL after 5 s). */
export async function stopLocalNats(nats: LocalNats): Promise<void> {
  const child = nats.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function probe(url: string, auth: NatsAuth): Promise<Probe> {
  try {
    const nc = await connectAuthenticated(url, auth, { timeout: 1_500, reconnect: false });
    const version = nc.info?.version ?? 'unknown';
    await nc.close();
    return { status: 'answered', version };
  } catch (error) {
    if (!(error instanceof NatsConnectionError)) throw error;
    return error.code === 'nats_unreachable' ? { status: 'unreachable' } : { status: 'refused', failure: error };
  }
}

/** Starts nats-server on `port` (-1: one the server picks) and resolves with the port it listens on. */
function startServer(binary: string, dataDir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.once('error', (error) => reject(new Error(`cannot start ${binary}: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (!log.includes('Server is ready')) return;
      const listening = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      child.removeAllListeners('exit');
      child.stderr?.removeAllListeners('data');
      child.stderr?.resume();
      resolve({ child, port: Number(listening?.[1] ?? port) });
    });
  });
}
