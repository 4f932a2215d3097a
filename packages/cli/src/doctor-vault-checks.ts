import type { Finding } from './doctor-checks.ts';

/** What doctor saw of the credential vault, and the keys this process holds (by id, never the key). */
export interface VaultFacts {
  /** Ids of the keys in SIGNALBOX_SECRETS_KEY_FILE and SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE here, when set. */
  keys: { current?: string; previous?: string };
  /** Each stored secret by name, with the id of the key it is sealed under (`unreadable`: not a sealed record). */
  sealed: { name: string; keyId: string }[];
  /** Each stored agent that takes its provider key from the vault, with the secret it names. */
  providerKeys: { agent: string; secret: string }[];
}

export function vaultFindings(facts: VaultFacts): Finding[] {
  return [...unopenedVaultFindings(facts), ...missingProviderKeyFindings(facts), ...unkeyedActorFindings(facts)];
}

/** A vault no key here opens: executors started like this would fail every call that needs a secret. */
function unopenedVaultFindings({ keys, sealed }: VaultFacts): Finding[] {
  if (sealed.length === 0) return [];
  if (keys.current === undefined) {
    return [
      {
        level: 'warn',
        message:
          `The vault holds ${count(sealed.length)}, but SIGNALBOX_SECRETS_KEY_FILE is not set here: tool executors started like this open none, ` +
          'and every call that needs one fails. Give them the file of the key the secrets are sealed under.',
      },
    ];
  }
  const held = new Set([keys.current, keys.previous].filter((id) => id !== undefined));
  const stranded = sealed.filter(({ keyId }) => !held.has(keyId));
  if (stranded.length === 0) return [];
  const listed = stranded.map(({ name, keyId }) => `${name} (${keyId})`).join(', ');
  return [
    {
      level: 'warn',
      message:
        `${count(stranded.length)} in the vault ${stranded.length === 1 ? 'is' : 'are'} sealed under a key that is neither the current (${keys.current}) ` +
        `nor the previous (${keys.previous ?? 'not set'}) here: ${listed}. Calls that need ${stranded.length === 1 ? 'it' : 'them'} fail. ` +
        'Set SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE to the old key and run `signalbox secrets rotate`, or set them again.',
    },
  ];
}

/** An agent whose provider key secret is not stored: its sessions fail at their first model call. */
function missingProviderKeyFindings({ sealed, providerKeys }: VaultFacts): Finding[] {
  const stored = new Set(sealed.map(({ name }) => name));
  return providerKeys
    .filter(({ secret }) => !stored.has(secret))
    .map(({ agent, secret }) => ({
      level: 'warn',
      message:
        `Agent ${agent} takes its provider key from the vault secret ${secret}, which the vault does not hold: its sessions fail at their first model call. ` +
        `Set it with \`signalbox secrets set ${secret} < key-file\`.`,
    }));
}

/** Agents keyed from the vault, and no key file here: session actors started like this cannot open their keys. */
function unkeyedActorFindings({ keys, providerKeys }: VaultFacts): Finding[] {
  if (providerKeys.length === 0 || keys.current !== undefined) return [];
  const agents = [...new Set(providerKeys.map(({ agent }) => agent))];
  return [
    {
      level: 'warn',
      message:
        `${agents.length === 1 ? 'Agent' : 'Agents'} ${agents.join(', ')} take${agents.length === 1 ? 's' : ''} ${agents.length === 1 ? 'its' : 'their'} provider key from the vault, ` +
        'but SIGNALBOX_SECRETS_KEY_FILE is not set here: session actors started like this fail their model calls. Give them the file of the vault key.',
    },
  ];
}

function count(secrets: number): string {
  return secrets === 1 ? '1 secret' : `${secrets} secrets`;
}
