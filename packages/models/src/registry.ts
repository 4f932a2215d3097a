import type { Usage } from '@signalbox/events';
import { z } from 'zod';
import { createAnthropicProvider } from './anthropic.ts';
import { createOpenAIProvider } from './openai.ts';
import { costOf, PriceOverrides, type Cost } from './pricing.ts';
import { ModelError, type ModelProvider } from './provider.ts';

export const ProviderEndpoint = z.strictObject({
  kind: z.enum(['anthropic', 'openai', 'openai-compatible']),
  apiKey: z.string().min(1).optional(),
  /** The environment variable that holds the key; read when the provider is first used. */
  apiKeyEnv: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  /** OpenAI kinds only; `openai` defaults to `responses`, `openai-compatible` to `chat`. */
  api: z.enum(['responses', 'chat']).optional(),
  maxRetries: z.number().int().nonnegative().optional(),
  timeoutMs: z.number().int().positive().optional(),
  /**
   * `false`: calls are never streamed, even when a listener asks for the text as it arrives: for a
   * compatible server that cannot stream (or refuses `stream_options`). Live output then carries only each call's end.
   */
  stream: z.boolean().optional(),
});
export type ProviderEndpoint = z.infer<typeof ProviderEndpoint>;

const ProviderName = z.string().regex(/^[a-z0-9_-]+$/, 'a provider name is lower-case letters, digits, "-" and "_"');

export const ProviderConfig = z.strictObject({
  providers: z.record(ProviderName, ProviderEndpoint),
  pricing: PriceOverrides.optional(),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

type Env = Readonly<Record<string, string | undefined>>;

/** The provider configuration could not be read; the message says which setting is wrong. */
export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
  readonly code = 'invalid_provider_config';

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** `anthropic/claude-sonnet-4-5` → `{ provider: 'anthropic', model: 'claude-sonnet-4-5' }`; `scripted` stands alone. */
export function parseModelName(name: string): { provider: string; model: string } {
  if (name === 'scripted') return { provider: 'scripted', model: 'scripted' };
  const slash = name.indexOf('/');
  const provider = name.slice(0, slash);
  const model = name.slice(slash + 1);
  if (slash < 0 || !ProviderName.safeParse(provider).success || model === '') {
    throw new ModelError('invalid_request', `model "${name}" is not "<provider>/<model>", like "anthropic/claude-sonnet-4-5"`, {
      retryable: false,
    });
  }
  return { provider, model };
}

/**
 * The built-in endpoints plus any added or changed by `SIGNALBOX_PROVIDERS` (a JSON object of
 * endpoints), each with its key when the variable its `apiKeyEnv` names is set in `env`.
 */
export function providerConfigFromEnv(env: Env): ProviderConfig {
  const providers: Record<string, ProviderEndpoint> = {
    anthropic: { kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY', ...optionalURL(env['ANTHROPIC_BASE_URL']) },
    openai: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY', api: 'responses', ...optionalURL(env['OPENAI_BASE_URL']) },
    ollama: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1', api: 'chat' },
  };
  for (const [name, change] of Object.entries(readProvidersVariable(env['SIGNALBOX_PROVIDERS']))) {
    const merged = ProviderEndpoint.safeParse({ ...providers[name], ...change });
    if (!merged.success) {
      throw new ProviderConfigError(`SIGNALBOX_PROVIDERS.${name}: ${z.prettifyError(merged.error)}`, merged.error);
    }
    providers[name] = merged.data;
  }
  return { providers: Object.fromEntries(Object.entries(providers).map(([name, endpoint]) => [name, withKeyFrom(env, endpoint)])) };
}

function withKeyFrom(env: Env, endpoint: ProviderEndpoint): ProviderEndpoint {
  const key = endpoint.apiKey ?? (endpoint.apiKeyEnv ? env[endpoint.apiKeyEnv] : undefined);
  return key ? { ...endpoint, apiKey: key } : endpoint;
}

function optionalURL(url: string | undefined): { baseURL?: string } {
  return url ? { baseURL: url } : {};
}

function readProvidersVariable(text: string | undefined): Record<string, Partial<ProviderEndpoint>> {
  if (!text) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProviderConfigError(`SIGNALBOX_PROVIDERS is not JSON: ${(error as Error).message}`, error);
  }
  const parsed = z.record(ProviderName, ProviderEndpoint.partial()).safeParse(json);
  if (!parsed.success) throw new ProviderConfigError(`SIGNALBOX_PROVIDERS: ${z.prettifyError(parsed.error)}`, parsed.error);
  return parsed.data;
}

/** A key opened from the vault, and the secret it came from (named in authentication errors). */
export interface VaultProviderKey {
  apiKey: string;
  secret: string;
}

export interface ProviderRegistry {
  /** The adapter for a provider name, created on first use and kept. */
  providerFor(providerName: string): ModelProvider;
  /** A new adapter for a provider name that sends `key` instead of the configured one: the caller keeps it as long as the key holds. */
  providerWithKey(providerName: string, key: VaultProviderKey): ModelProvider;
  /** `costOf` with the configuration's price overrides. */
  costOf(providerName: string, model: string, usage: Usage): Cost;
}

export function createProviderRegistry(config: ProviderConfig): ProviderRegistry {
  const created = new Map<string, ModelProvider>();
  return {
    providerFor(providerName) {
      const existing = created.get(providerName);
      if (existing) return existing;
      const provider = createProvider(providerName, endpointOf(config, providerName));
      created.set(providerName, provider);
      return provider;
    },
    providerWithKey(providerName, key) {
      return createProvider(providerName, { ...endpointOf(config, providerName), apiKey: key.apiKey }, key.secret);
    },
    costOf: (providerName, model, usage) => costOf(providerName, model, usage, config.pricing),
  };
}

function endpointOf(config: ProviderConfig, providerName: string): ProviderEndpoint {
  const endpoint = config.providers[providerName];
  if (endpoint) return endpoint;
  const known = Object.keys(config.providers).sort().join(', ');
  throw new ModelError('not_found', `no model provider "${providerName}" (configured: ${known}); add it to SIGNALBOX_PROVIDERS`, {
    retryable: false,
  });
}

function createProvider(name: string, endpoint: ProviderEndpoint, apiKeySecret?: string): ModelProvider {
  const provider = createEndpointProvider(name, endpoint, apiKeySecret);
  return endpoint.stream === false ? neverStreamed(provider) : provider;
}

/** The provider, called without the text listener, so it never streams. */
function neverStreamed(provider: ModelProvider): ModelProvider {
  return { name: provider.name, complete: (request, { onText: _onText, ...options } = {}) => provider.complete(request, options) };
}

function createEndpointProvider(name: string, endpoint: ProviderEndpoint, apiKeySecret?: string): ModelProvider {
  const { apiKey } = endpoint;
  const common = {
    name,
    ...(apiKeySecret === undefined ? {} : { apiKeySecret }),
    ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
    ...(endpoint.apiKeyEnv ? { apiKeyEnv: endpoint.apiKeyEnv } : {}),
    ...(endpoint.maxRetries !== undefined ? { maxRetries: endpoint.maxRetries } : {}),
    ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
  };
  if (endpoint.kind === 'openai-compatible') {
    // Local servers take no key, but the SDK insists on one; they ignore the header.
    return createOpenAIProvider({ ...common, apiKey: apiKey || 'no-key', api: endpoint.api ?? 'chat' });
  }
  if (!apiKey) throw missingKey(name, endpoint);
  return endpoint.kind === 'anthropic'
    ? createAnthropicProvider({ ...common, apiKey })
    : createOpenAIProvider({ ...common, apiKey, api: endpoint.api ?? 'responses' });
}

function missingKey(name: string, endpoint: ProviderEndpoint): ModelError {
  const fix = endpoint.apiKeyEnv
    ? `set ${endpoint.apiKeyEnv}`
    : `give "${name}" an apiKey or apiKeyEnv in SIGNALBOX_PROVIDERS`;
  return new ModelError('authentication', `no API key for model provider "${name}": ${fix}`, { retryable: false });
}
