import { anthropicError, anthropicText, chatText, startFakeAnthropic, startFakeOpenAI } from '@signalbox/testing';
import { describe, expect, it } from 'vitest';
import { ModelError } from './provider.ts';
import { createProviderRegistry, parseModelName, ProviderConfig, providerConfigFromEnv, ProviderConfigError } from './registry.ts';

const hello = {
  model: 'm',
  messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hello' }] }],
  tools: [],
  maxTokens: 64,
};

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseModelName', () => {
  it('splits at the first slash', () => {
    expect(parseModelName('anthropic/claude-sonnet-4-5')).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(parseModelName('vllm/meta-llama/Llama-3.1-8B')).toEqual({ provider: 'vllm', model: 'meta-llama/Llama-3.1-8B' });
    expect(parseModelName('scripted')).toEqual({ provider: 'scripted', model: 'scripted' });
  });

  it.each(['claude-sonnet-4-5', 'anthropic/', '/gpt-4o', 'Open AI/gpt-4o'])('refuses %j', (name) => {
    expect(thrown(() => parseModelName(name))).toMatchObject({ code: 'invalid_request' });
  });
});

describe('providerConfigFromEnv', () => {
  it('has anthropic, openai (responses) and a local ollama (chat) by default', () => {
    expect(providerConfigFromEnv({})).toEqual({
      providers: {
        anthropic: { kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' },
        openai: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY', api: 'responses' },
        ollama: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1', api: 'chat' },
      },
    });
  });

  it('adds and changes endpoints from SIGNALBOX_PROVIDERS', () => {
    const config = providerConfigFromEnv({
      SIGNALBOX_PROVIDERS: JSON.stringify({
        vllm: { kind: 'openai-compatible', baseURL: 'http://gpu-box:8000/v1', apiKeyEnv: 'VLLM_API_KEY' },
        openai: { api: 'chat', timeoutMs: 30_000 },
      }),
    });
    expect(config.providers['vllm']).toEqual({ kind: 'openai-compatible', baseURL: 'http://gpu-box:8000/v1', apiKeyEnv: 'VLLM_API_KEY' });
    expect(config.providers['openai']).toEqual({ kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY', api: 'chat', timeoutMs: 30_000 });
    expect(ProviderConfig.safeParse(config).success).toBe(true);
  });

  it("takes each endpoint's key from the variable its apiKeyEnv names", () => {
    const config = providerConfigFromEnv({
      ANTHROPIC_API_KEY: 'sk-ant',
      VLLM_KEY: 'sk-vllm',
      SIGNALBOX_PROVIDERS: JSON.stringify({ vllm: { kind: 'openai-compatible', baseURL: 'http://gpu-box:8000/v1', apiKeyEnv: 'VLLM_KEY' } }),
    });
    expect(config.providers['anthropic']?.apiKey).toBe('sk-ant');
    expect(config.providers['vllm']?.apiKey).toBe('sk-vllm');
    expect(config.providers['openai']?.apiKey).toBeUndefined();
  });

  it('says what is wrong with SIGNALBOX_PROVIDERS', () => {
    expect(thrown(() => providerConfigFromEnv({ SIGNALBOX_PROVIDERS: '{nope' }))).toBeInstanceOf(ProviderConfigError);
    const error = thrown(() => providerConfigFromEnv({ SIGNALBOX_PROVIDERS: '{"vllm":{"baseURL":"http://x/v1"}}' }));
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect((error as Error).message).toContain('SIGNALBOX_PROVIDERS.vllm');
    expect((error as Error).message).toContain('kind');
  });
});

describe('createProviderRegistry', () => {
  it('says which variable to set when a key is missing', () => {
    const registry = createProviderRegistry(providerConfigFromEnv({}));
    const error = thrown(() => registry.providerFor('anthropic'));
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'authentication', retryable: false });
    expect((error as Error).message).toContain('set ANTHROPIC_API_KEY');
    expect((thrown(() => registry.providerFor('openai')) as Error).message).toContain('set OPENAI_API_KEY');
  });

  it('refuses a provider that is not configured, listing those that are', () => {
    const registry = createProviderRegistry(providerConfigFromEnv({}));
    const error = thrown(() => registry.providerFor('mistral'));
    expect(error).toMatchObject({ code: 'not_found' });
    expect((error as Error).message).toContain('anthropic, ollama, openai');
  });

  it('creates each adapter once, lazily', () => {
    const registry = createProviderRegistry(providerConfigFromEnv({ OPENAI_API_KEY: 'sk-test' }));
    const openai = registry.providerFor('openai');
    expect(openai.name).toBe('openai');
    expect(registry.providerFor('openai')).toBe(openai);
    expect(registry.providerFor('ollama').name).toBe('ollama');
  });

  it('reads the key from the named variable and reaches the configured base URL', async () => {
    const fake = await startFakeAnthropic();
    try {
      fake.reply(anthropicText('hi'));
      const config = providerConfigFromEnv({ ANTHROPIC_BASE_URL: fake.baseURL, ANTHROPIC_API_KEY: 'sk-ant-env' });
      const registry = createProviderRegistry(config);
      await registry.providerFor('anthropic').complete({ ...hello, model: 'claude-haiku-4-5' });
      expect(fake.requests[0]?.headers['authorization']).toBe('Bearer sk-ant-env');
    } finally {
      await fake.close();
    }
  });

  it('talks chat completions to a keyless OpenAI-compatible endpoint', async () => {
    const fake = await startFakeOpenAI();
    try {
      fake.reply(chatText('hi from llama'));
      const config = providerConfigFromEnv({ SIGNALBOX_PROVIDERS: JSON.stringify({ local: { kind: 'openai-compatible', baseURL: fake.baseURL } }) });
      const response = await createProviderRegistry(config).providerFor('local').complete({ ...hello, model: 'llama3.2' });
      expect(response.content).toEqual([{ type: 'text', text: 'hi from llama' }]);
      expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    } finally {
      await fake.close();
    }
  });

  it('streams when asked, unless the endpoint says stream: false (a server that cannot)', async () => {
    const fake = await startFakeOpenAI();
    try {
      fake.reply(chatText('hi from llama'), chatText('hi from llama'));
      const endpoints = { streams: { kind: 'openai-compatible', baseURL: fake.baseURL }, plain: { kind: 'openai-compatible', baseURL: fake.baseURL, stream: false } };
      const registry = createProviderRegistry(providerConfigFromEnv({ SIGNALBOX_PROVIDERS: JSON.stringify(endpoints) }));
      const told: string[] = [];
      const onText = (delta: string) => void told.push(delta);
      const streamed = await registry.providerFor('streams').complete({ ...hello, model: 'llama3.2' }, { onText });
      expect(told.join('')).toBe('hi from llama');
      told.length = 0;
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      expect(await registry.providerFor('plain').complete({ ...hello, model: 'llama3.2' }, { onText, traceparent })).toEqual(streamed);
      expect(told).toEqual([]);
      expect(fake.requests.map((request) => (request.body as { stream?: unknown }).stream)).toEqual([true, undefined]);
      // Unstreamed, the call keeps the rest of what it was given: its trace context.
      expect(fake.requests[1]?.headers['traceparent']).toBe(traceparent);
    } finally {
      await fake.close();
    }
  });

  it('sends a vault key instead of the configured one, and names its secret when it is rejected', async () => {
    const fake = await startFakeAnthropic();
    try {
      const registry = createProviderRegistry(providerConfigFromEnv({ ANTHROPIC_BASE_URL: fake.baseURL, ANTHROPIC_API_KEY: 'sk-ant-env' }));
      const provider = registry.providerWithKey('anthropic', { apiKey: 'vault-key-0123456789', secret: 'ANTHROPIC_PROD_KEY' });
      expect(registry.providerWithKey('anthropic', { apiKey: 'vault-key-0123456789', secret: 'ANTHROPIC_PROD_KEY' })).not.toBe(provider);
      fake.reply(anthropicText('hi'));
      await provider.complete({ ...hello, model: 'claude-haiku-4-5' });
      expect(fake.requests[0]?.headers['authorization']).toBe('Bearer vault-key-0123456789');
      fake.reply(anthropicError(401, 'authentication_error', 'invalid x-api-key vault-key-0123456789'));
      const error = await provider.complete({ ...hello, model: 'claude-haiku-4-5' }).catch((caught: unknown) => caught as ModelError);
      expect(error).toMatchObject({ code: 'authentication', retryable: false });
      expect((error as Error).message).toContain('check the vault secret ANTHROPIC_PROD_KEY');
      expect((error as Error).message).not.toContain('vault-key-0123456789');
    } finally {
      await fake.close();
    }
  });

  it('needs no configured key to take one from the vault, but a configured provider', () => {
    const registry = createProviderRegistry(providerConfigFromEnv({}));
    expect(registry.providerWithKey('openai', { apiKey: 'sk-vault-openai', secret: 'OPENAI_KEY' }).name).toBe('openai');
    expect(thrown(() => registry.providerWithKey('mistral', { apiKey: 'k', secret: 'K' }))).toMatchObject({ code: 'not_found' });
  });

  it('prices with the configured overrides', () => {
    const config = { ...providerConfigFromEnv({}), pricing: { 'ollama/': { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } } };
    const registry = createProviderRegistry(config);
    const usage = { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(registry.costOf('ollama', 'llama3.2', usage)).toEqual({ costUsd: 0, priced: true });
    expect(registry.costOf('anthropic', 'claude-haiku-4-5', usage)).toEqual({ costUsd: 1, priced: true });
  });
});
