import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Where scripts/peers.sh installs the durable peers the peers benchmark measures beside Signalbox
 * (test/bench/peers/package.json): outside the workspace, so none of them is a dependency of the project.
 */
export const peersFolder = fileURLToPath(new URL('../../../.tooling/peers/', import.meta.url));

/** A peer's package, loaded from the peers' folder; says how to install them when they are not there. */
export function requirePeer<T>(name: string): T {
  if (!existsSync(`${peersFolder}/node_modules`)) throw new Error(`the peers are not installed in ${peersFolder}: run pnpm bench:peers (scripts/peers.sh)`);
  return createRequire(`${peersFolder}/package.json`)(name) as T;
}

/** The path of a file a peer's package holds (a binary, say). */
export function peerFile(request: string): string {
  return createRequire(`${peersFolder}/package.json`).resolve(request);
}
