import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';

export interface LocalNats {
  url: string;
  /** Set when this process started the server; stop it on exit. */
  child?: ChildProcess;
}

const defaultUrl = 'nats://127.0.0.1:4222';

/**
 * The NATS to use: `--nats`/NATS_URL when given; else 127.0.0.1:4222 when it answers; else a
 * `nats-server -js` from PATH with its data under `dataDir`. Throws a how-to when none works.
 */
export async function ensureNats(explicitUrl: string | undefined, dataDir: string): Promise<LocalNats> {
  if (explicitUrl) {
    if (await reachable(explicitUrl)) return { url: explicitUrl };
    throw new Error(`no NATS server answers at ${explicitUrl}. Start one with: nats-server -js`);
  }
  if (await reachable(defaultUrl)) return { url: defaultUrl };
  mkdirSync(dataDir, { recursive: true });
  const child = await startServer(dataDir);
  return { url: defaultUrl, child };
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

async function reachable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1_500, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

function startServer(dataDir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.once('error', () =>
      reject(
        new Error(
          'no NATS server is reachable at 127.0.0.1:4222 and nats-server is not on PATH.\n' +
            'Install it (Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server; or a release from\n' +
            'the nats-server project), then run again, or point NATS_URL / --nats at a JetStream-enabled server.',
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (!log.includes('Server is ready')) return;
      child.removeAllListeners('exit');
      child.stderr?.removeAllListeners('data');
      child.stderr?.resume();
      resolve(child);
    });
  });
}
