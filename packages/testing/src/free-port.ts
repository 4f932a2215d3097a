import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port picked: above the well-known and common service ports. */
const lowestPort = 10_000;
const attempts = 100;
/** Ports this process handed out: a server may not have bound its port yet when the next pick comes. */
const handedOut = new Set<number>();

/**
 * A free loopback port for a server a test starts, below the kernel's ephemeral range. A port from
 * that range (what listening on port 0 returns) is free only for a moment: any outgoing connection may
 * take it next, and a server restarted on its port (a killed node coming back) then fails to bind.
 * Ports below the range are never handed out by the kernel, so only another process's pick can race for one.
 */
export async function freePort(): Promise<number> {
  const [below] = ephemeralRange();
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = lowestPort + Math.floor(Math.random() * (below - lowestPort));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${lowestPort} and ${below} after ${attempts} tries`);
}

/** The kernel's ephemeral port range (Linux); the usual default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > lowestPort + 1_000) return [low, high];
  } catch {
    // Not Linux: fall through to the default.
  }
  return [32_768, 60_999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
