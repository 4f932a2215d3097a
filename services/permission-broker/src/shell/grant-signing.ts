import { readFileSync } from 'node:fs';
import { fromSeed } from '@nats-io/nkeys';
import { ConfigError, type RuntimeConfig } from '@signalbox/runtime';
import type { GrantSigning } from '../core/verdict.ts';

/** How the broker signs, and the public key executors trust it by (`SIGNALBOX_GRANT_SIGNERS`). */
export interface BrokerSigning extends GrantSigning {
  signer: string;
}

/** The broker's seed from its setting or the file it names, checked as a user seed; none set: the broker signs no grants. */
export function brokerSigningOf(settings: RuntimeConfig['permissionBroker']): BrokerSigning | undefined {
  if (settings.nkeySeedFile !== undefined) {
    const seed = seedInFile(settings.nkeySeedFile);
    return { seed, ttlMs: settings.grantTtlMs, signer: userKeyOf(seed, 'SIGNALBOX_PERMISSION_BROKER_SEED_FILE') };
  }
  if (settings.nkeySeed === undefined) return undefined;
  return { seed: settings.nkeySeed, ttlMs: settings.grantTtlMs, signer: userKeyOf(settings.nkeySeed, 'SIGNALBOX_PERMISSION_BROKER_SEED') };
}

function seedInFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`invalid setting: SIGNALBOX_PERMISSION_BROKER_SEED_FILE: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
}

/** The seed's public key; the message names the variable, never the seed. */
function userKeyOf(seed: string, variable: string): string {
  const message = `invalid setting: ${variable}: not an NKey user seed (SU…, 58 characters)`;
  let key: string;
  try {
    key = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  } catch (error) {
    throw new ConfigError(message, { cause: error });
  }
  if (!key.startsWith('U')) throw new ConfigError(message);
  return key;
}
