import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readEnvironment } from '@signalbox/runtime';
import { isAtLeast, serverFloor } from '@signalbox/store';

/** Where scripts/nats-server.sh unpacks a current nats-server in a checkout. */
const toolingBinary = fileURLToPath(new URL('../../../.tooling/nats-server/usr/sbin/nats-server', import.meta.url));

export interface NatsBinary {
  path: string;
  version: string;
}

/**
 * A nats-server binary at or above the floor: NATS_SERVER_BIN when set (it wins, and must be current),
 * else the checkout's .tooling/ one, else the one on PATH. Throws a how-to when there is none.
 */
export async function currentNatsBinary(explicit = readEnvironment().NATS_SERVER_BIN): Promise<NatsBinary> {
  const candidates = explicit ? [explicit] : [...(existsSync(toolingBinary) ? [toolingBinary] : []), 'nats-server'];
  const found: string[] = [];
  for (const path of candidates) {
    const version = await versionOf(path);
    if (version && isAtLeast(version, serverFloor)) return { path, version };
    found.push(`${path}: ${version ?? 'not found'}`);
  }
  throw new Error(
    `no nats-server ${serverFloor} or newer to start (${found.join('; ')}). ` +
      'In a checkout, scripts/nats-server.sh fetches one into .tooling/; otherwise install a current release ' +
      '(https://github.com/nats-io/nats-server/releases) and set NATS_SERVER_BIN, or point --nats / NATS_URL at a server.',
  );
}

async function versionOf(path: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(path, ['--version'], { timeout: 5_000 });
    return /v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}
