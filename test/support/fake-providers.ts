import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver, type SessionActorOptions } from '@signalbox/session-actor';
import { startFakeAnthropic, startFakeOpenAI, type FakeAnthropic, type FakeOpenAI } from '@signalbox/testing';

/** Local servers speaking Anthropic's and OpenAI's wire formats, and the session actor's models resolved to them through the real SDKs. */
export interface FakeProviders {
  anthropic: FakeAnthropic;
  openai: FakeOpenAI;
  resolveModel: NonNullable<SessionActorOptions['resolveModel']>;
  close(): Promise<void>;
}

/** `sdkRetries`: the SDKs' own retries of each attempt (the runtime's attempts come on top). */
export async function startFakeProviders(sdkRetries: number): Promise<FakeProviders> {
  const anthropic = await startFakeAnthropic();
  const openai = await startFakeOpenAI();
  const env = {
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: anthropic.baseURL,
    OPENAI_API_KEY: 'sk-openai-test',
    OPENAI_BASE_URL: openai.baseURL,
    SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: sdkRetries }, openai: { maxRetries: sdkRetries } }),
  };
  return {
    anthropic,
    openai,
    resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))),
    close: async () => {
      await anthropic.close();
      await openai.close();
    },
  };
}
