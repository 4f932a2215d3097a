import { randomBytes } from 'node:crypto';
import { AgentDefinition, type ModelRequest } from '@signalbox/events';
import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { SecretUnreadableError, vaultKeyOf, type VaultKeys } from '@signalbox/store';
import { anthropicError, anthropicText, startFakeAnthropic, type FakeAnthropic } from '@signalbox/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callModel, modelResolver } from './model-caller.ts';
import { vaultProviderKeys, type ProviderKeyVault } from './provider-keys.ts';

const vaultKey = 'vault-key-Qw3rty/Uiop+Asdf=Ghjk';
const keys: VaultKeys = { current: vaultKeyOf(randomBytes(32)) };
const request: ModelRequest = { model: 'claude-haiku-4-5', system: '', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], tools: [], maxTokens: 64 };
const agent = (fields: object = {}) => AgentDefinition.parse({ name: 'billing', model: 'anthropic/claude-haiku-4-5', providerKeySecret: 'ANTHROPIC_PROD_KEY', ...fields });

/** The vault as the actor sees it: revisions and values by name, with a count of what it opened. */
class MemoryVault implements ProviderKeyVault {
  readonly entries = new Map<string, { value: string; revision: number }>();
  opens = 0;
  failure: Error | undefined;
  #revision = 0;

  set(name: string, value: string): void {
    this.entries.set(name, { value, revision: ++this.#revision });
  }

  revision(name: string): Promise<number | undefined> {
    return this.failure ? Promise.reject(this.failure) : Promise.resolve(this.entries.get(name)?.revision);
  }

  openWithRevision(name: string): Promise<{ value: string; revision: number }> {
    this.opens += 1;
    const entry = this.entries.get(name);
    if (!entry) return Promise.reject(new SecretUnreadableError(`there is no secret ${name} in the vault`));
    if (entry.value === 'sealed-under-another-key') return Promise.reject(new SecretUnreadableError(`the secret ${name} is sealed under key 0badc0de, which this process does not hold (it holds: ${keys.current?.id})`));
    return Promise.resolve({ ...entry });
  }
}

let fake: FakeAnthropic;
let vault: MemoryVault;
const registry = () => createProviderRegistry(providerConfigFromEnv({ ANTHROPIC_BASE_URL: fake.baseURL, ANTHROPIC_API_KEY: 'sk-ant-from-the-environment' }));
const resolver = (vaultKeys: VaultKeys = keys) => {
  const models = registry();
  return modelResolver(models, vaultProviderKeys({ registry: models, vault: () => Promise.resolve(vault), keys: vaultKeys }));
};
const call = (resolve: ReturnType<typeof resolver>, definition = agent()) => callModel(resolve, definition, { callId: 'm1', request }, () => 0);
const sentKeys = () => fake.requests.map((sent) => sent.headers['authorization']);

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  vault = new MemoryVault();
  vault.set('ANTHROPIC_PROD_KEY', vaultKey);
  (fake.requests as unknown[]).length = 0;
});

describe("an agent's provider key from the vault", () => {
  it('is sent instead of the environment’s, opened once while its revision holds', async () => {
    const resolve = resolver();
    fake.reply(anthropicText('one'), anthropicText('two'));
    expect(await call(resolve)).toMatchObject({ type: 'RecordModelReply' });
    expect(await call(resolve)).toMatchObject({ type: 'RecordModelReply' });
    expect(sentKeys()).toEqual([`Bearer ${vaultKey}`, `Bearer ${vaultKey}`]);
    expect(vault.opens).toBe(1);
  });

  it('is opened again when the secret is set anew, and the new key is sent from the next call', async () => {
    const resolve = resolver();
    fake.reply(anthropicText('one'), anthropicText('two'));
    await call(resolve);
    vault.set('ANTHROPIC_PROD_KEY', 'vault-key-rotated-0987654321');
    await call(resolve);
    expect(sentKeys()).toEqual([`Bearer ${vaultKey}`, 'Bearer vault-key-rotated-0987654321']);
    expect(vault.opens).toBe(2);
  });

  it('leaves agents that name no secret on the environment’s key', async () => {
    fake.reply(anthropicText('one'));
    await call(resolver(), AgentDefinition.parse({ name: 'plain', model: 'anthropic/claude-haiku-4-5' }));
    expect(sentKeys()).toEqual(['Bearer sk-ant-from-the-environment']);
    expect(vault.opens).toBe(0);
  });
});

describe('when the vault does not give the key, the call fails for good, saying what to fix', () => {
  it('the secret is missing', async () => {
    vault.entries.clear();
    expect(await call(resolver())).toEqual({
      type: 'RecordModelFailure',
      callId: 'm1',
      code: 'provider_key_unavailable',
      message: 'there is no secret ANTHROPIC_PROD_KEY in the vault; set it with signalbox secrets set ANTHROPIC_PROD_KEY',
      retryable: false,
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('the actor holds no master key', async () => {
    for (const resolve of [resolver({}), modelResolver(registry())]) {
      expect(await call(resolve)).toMatchObject({
        code: 'provider_key_unavailable',
        message: expect.stringContaining('this session actor holds no vault key: set SIGNALBOX_SECRETS_KEY_FILE'),
        retryable: false,
      });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('the value cannot be opened', async () => {
    vault.set('ANTHROPIC_PROD_KEY', 'sealed-under-another-key');
    expect(await call(resolver())).toMatchObject({
      code: 'provider_key_unavailable',
      message: expect.stringMatching(/^could not open the provider key: the secret ANTHROPIC_PROD_KEY is sealed under key 0badc0de/),
      retryable: false,
    });
  });

  it('but NATS not answering is worth another attempt', async () => {
    vault.failure = new Error('TIMEOUT');
    expect(await call(resolver())).toMatchObject({ code: 'provider_key_unavailable', message: expect.stringContaining('TIMEOUT'), retryable: true });
  });
});

describe('the key in what a provider says back is masked before it is recorded', () => {
  const forms = [vaultKey, encodeURIComponent(vaultKey), JSON.stringify(vaultKey).slice(1, -1), Buffer.from(vaultKey).toString('base64'), Buffer.from(vaultKey).toString('base64url')];

  it.each(forms)('in an error echoing %s', async (form) => {
    fake.reply(anthropicError(401, 'authentication_error', `bad credential <${form}>`));
    const failure = await call(resolver());
    expect(failure).toMatchObject({ type: 'RecordModelFailure', code: 'authentication', retryable: false });
    const said = JSON.stringify(failure);
    for (const secret of forms) expect(said).not.toContain(secret);
    expect(said).toContain('check the vault secret ANTHROPIC_PROD_KEY');
  });

  it('in a reply echoing it', async () => {
    fake.reply(anthropicText(`you sent ${vaultKey} and ${Buffer.from(`user:${vaultKey}`).toString('base64')}`));
    const reply = await call(resolver());
    expect(reply).toMatchObject({ type: 'RecordModelReply', response: { content: [{ type: 'text', text: 'you sent [secret:ANTHROPIC_PROD_KEY] and [secret:ANTHROPIC_PROD_KEY]' }] } });
  });
});
