import type { NatsConnection } from '@nats-io/nats-core';
import semver from 'semver';

/** The oldest nats-server Signalbox runs on: the first with message schedules, which the durable timers are built on. */
export const serverFloor = '2.12.0';

/** What Signalbox relies on from the server, and since which release; `signalbox doctor` lists them. */
export const serverFeatures: readonly { feature: string; since: string; usedFor: string }[] = [
  { feature: 'message schedules', since: '2.12.0', usedFor: 'durable timers (the timers stream)' },
  { feature: 'per-message TTL', since: '2.11.0', usedFor: 'timer cancel markers that expire by themselves' },
  {
    feature: 'expected last subject sequence on replicated streams',
    since: '2.12.0',
    usedFor: 'one writer per session on R3 streams (2.9 let two racing writers both win)',
  },
];

/** False for a version that cannot be parsed: callers assume the worse. Pre-releases come before their release. */
export function isAtLeast(version: string, minimum: string): boolean {
  const parsed = semver.valid(semver.clean(version) ?? version);
  return parsed !== null && semver.gte(parsed, minimum);
}

/** The server a connection reached is older than Signalbox supports. */
export class UnsupportedServerError extends Error {
  override readonly name = 'UnsupportedServerError';
  readonly code = 'unsupported_server';
  readonly version: string;

  constructor(version: string, where: string) {
    super(
      `nats-server ${version} at ${where} is older than ${serverFloor}, the oldest Signalbox supports ` +
        `(it needs message schedules for durable timers and correct concurrency checks on replicated streams). ` +
        'Upgrade the server, or run scripts/nats-server.sh in a checkout to get a current one into .tooling/ ' +
        'and point NATS_URL at it.',
    );
    this.version = version;
  }
}

/** Throws UnsupportedServerError unless the connected server is at or above the floor. */
export function requireSupportedServer(nc: NatsConnection): void {
  const version = nc.info?.version ?? 'unknown';
  // getServer() names host and port only, never credentials given in the URL.
  if (!isAtLeast(version, serverFloor)) throw new UnsupportedServerError(version, nc.getServer());
}
