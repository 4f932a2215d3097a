import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port picked: above the well-known and common service ports. */
const lowestPort = 10_000;
const attempts = 100;
/** Ports this process handed out: a server may not have bound its port yet when the next pick comes. */
const handedOut = new Set<number>();

/** Where the kernel's ephemeral ports begin (Linux's setting, read once); the usual default elsewhere. */
const ephemeralFloor = ((): number => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > lowestPort + 1_000) return low;
  } catch {
    // Not Linux: the default below.
  }
  return 32_768;
})();

/**
 * A free loopback port for a server a test starts, below the kernel's ephemeral range. A port from
 * that range (what listening on port 0 returns) is free only for a moment: any outgoing connection may
 * take it next, and a server restarted on its port (a killed node coming back) then fails to bind.
 * Ports below the range are never handed out by the kernel, so only another process's pick can race for one.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = lowestPort + Math.floor(Math.random() * (ephemeralFloor - lowestPort));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${lowestPort} and ${ephemeralFloor} after ${attempts} tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
