import type { ModelResponse } from '@signalbox/events';
import { ModelError, type ModelProvider, type ProviderRegistry } from '@signalbox/models';
import { maskSecrets, SecretUnreadableError, type VaultKeys } from '@signalbox/store';

/** What the actor needs of `SecretVault`: a secret's revision, and its value with the revision it opened. */
export interface ProviderKeyVault {
  revision(name: string): Promise<number | undefined>;
  openWithRevision(name: string, keys: VaultKeys): Promise<{ value: string; revision: number }>;
}

/** An adapter for `providerName` that sends the key held in the vault secret `secret`. */
export type ProviderKeys = (providerName: string, secret: string) => Promise<ModelProvider>;

/** For an actor that reads no vault: an agent that names a provider key secret fails, saying what to set. */
export const noProviderKeys: ProviderKeys = (_providerName, secret) => Promise.reject(noMasterKey(secret));

/**
 * Adapters keyed by vault secrets, kept per secret and revision. Each call reads the secret's revision
 * (a direct get, opening nothing) and opens the value again only when it moved, so a key set anew or
 * rotated is sent from the next call on, and an unchanged one is not unsealed per call.
 */
export function vaultProviderKeys(deps: { registry: ProviderRegistry; vault: () => Promise<ProviderKeyVault>; keys: VaultKeys }): ProviderKeys {
  const { registry, keys } = deps;
  if (keys.current === undefined && keys.previous === undefined) return noProviderKeys;
  const opened = new Map<string, { revision: number; value: string; providers: Map<string, ModelProvider> }>();
  return async (providerName, secret) => {
    const vault = await fromVault(secret, deps.vault);
    const revision = await fromVault(secret, () => vault.revision(secret));
    if (revision === undefined) throw unavailable(`there is no secret ${secret} in the vault; set it with signalbox secrets set ${secret}`);
    let key = opened.get(secret);
    if (key?.revision !== revision) {
      const latest = await fromVault(secret, () => vault.openWithRevision(secret, keys));
      opened.set(secret, (key = { ...latest, providers: new Map() }));
    }
    let provider = key.providers.get(providerName);
    if (!provider) {
      provider = maskedProvider(registry.providerWithKey(providerName, { apiKey: key.value, secret }), secret, key.value);
      key.providers.set(providerName, provider);
    }
    return provider;
  };
}

/** A read of the vault: what it cannot give is no use retrying; NATS failing to answer is. */
async function fromVault<T>(secret: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SecretUnreadableError) throw unavailable(`could not open the provider key: ${error.message}`, error);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelError('provider_key_unavailable', `could not read the provider key secret ${secret} from the vault: ${reason}`, { retryable: true, cause: error });
  }
}

function unavailable(message: string, cause?: unknown): ModelError {
  return new ModelError('provider_key_unavailable', message, { retryable: false, cause });
}

function noMasterKey(secret: string): ModelError {
  return unavailable(`the agent's provider key is the vault secret ${secret}, and this session actor holds no vault key: set SIGNALBOX_SECRETS_KEY_FILE`);
}

/**
 * The adapters redact the key they send from their errors already; this masks the vault's value in
 * every form the executor masks a tool's secrets in, in failures and in replies (a provider or proxy
 * that echoes it), before either is recorded, logged or shown to the model.
 */
function maskedProvider(provider: ModelProvider, secret: string, value: string): ModelProvider {
  const secrets = new Map([[secret, value]]);
  const mask = (text: string) => maskSecrets(text, secrets);
  return {
    name: provider.name,
    complete: async (request, options) => {
      try {
        return maskedStrings(await provider.complete(request, options), mask);
      } catch (error) {
        throw maskedError(error, mask);
      }
    },
  };
}

function maskedError(error: unknown, mask: (text: string) => string): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const causeOf = original.cause instanceof Error ? maskedError(original.cause, mask) : undefined;
  let masked: Error;
  if (original instanceof ModelError) {
    const status = original.status === undefined ? {} : { status: original.status };
    masked = new ModelError(original.code, mask(original.message), { retryable: original.retryable, ...status, cause: causeOf });
  } else {
    masked = new Error(mask(original.message), { cause: causeOf });
    masked.name = original.name;
  }
  masked.stack = original.stack === undefined ? undefined : mask(original.stack);
  return masked;
}

function maskedStrings(response: ModelResponse, mask: (text: string) => string): ModelResponse {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return mask(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    return value;
  };
  return walk(response) as ModelResponse;
}
