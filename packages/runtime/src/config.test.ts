import { createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { configFromEnv, maskedConfig, readEnvironment } from './config.ts';

describe('configFromEnv', () => {
  it('fills every default, service defaults included', () => {
    const config = configFromEnv({});
    expect(config).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      prefix: 'sbx',
      logLevel: 'info',
      replicas: 1,
      ackWaitMs: 30_000,
      sessionActor: { concurrency: 64, maxDeliver: 20, snapshotEvery: 50, liveOutput: true },
      toolExecutor: { concurrency: 16, maxDeliver: 5 },
    });
    expect(Object.keys(config.models.providers).sort()).toEqual(['anthropic', 'ollama', 'openai']);
  });

  it('reads each named variable, empty ones as unset', () => {
    const config = configFromEnv({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      SIGNALBOX_REPLICAS: '3',
      SIGNALBOX_SNAPSHOT_EVERY: '0',
      SIGNALBOX_EXECUTOR_CONCURRENCY: '4',
      LOG_LEVEL: '',
    });
    expect(config).toMatchObject({ natsUrl: 'nats://a:4222,nats://b:4222', replicas: 3, logLevel: 'info', sessionActor: { snapshotEvery: 0 }, toolExecutor: { concurrency: 4 } });
  });

  it('turns live output off with SIGNALBOX_LIVE_OUTPUT=false, and refuses a word that is not a yes or a no', () => {
    expect(configFromEnv({ SIGNALBOX_LIVE_OUTPUT: 'false' }).sessionActor.liveOutput).toBe(false);
    expect(configFromEnv({ SIGNALBOX_LIVE_OUTPUT: 'true' }).sessionActor.liveOutput).toBe(true);
    expect(() => configFromEnv({ SIGNALBOX_LIVE_OUTPUT: 'sometimes' })).toThrow(/^invalid setting: SIGNALBOX_LIVE_OUTPUT: /);
  });

  it('refuses a value that is not a setting, naming it', () => {
    expect(() => configFromEnv({ SIGNALBOX_ACTOR_CONCURRENCY: 'many' })).toThrow(/^invalid setting: SIGNALBOX_ACTOR_CONCURRENCY: /);
    expect(() => configFromEnv({ SIGNALBOX_REPLICAS: '7' })).toThrow(/^invalid setting: SIGNALBOX_REPLICAS: .*5/);
  });

  it("reads the installation's retention period, and refuses one that does not parse or is out of bounds, naming the variable", () => {
    expect(configFromEnv({ SIGNALBOX_RETENTION: '30d' }).retention).toBe('30d');
    expect(configFromEnv({}).retention).toBeUndefined();
    expect(() => configFromEnv({ SIGNALBOX_RETENTION: 'a month' })).toThrow(/^invalid setting: SIGNALBOX_RETENTION: a retention period is a whole number and a unit/);
    expect(() => configFromEnv({ SIGNALBOX_RETENTION: '5m' })).toThrow(/^invalid setting: SIGNALBOX_RETENTION: a retention period is between 1h and 3650d/);
  });

  it('reads the brokers whose grants executors require as a comma-separated list of user public NKeys', () => {
    const key = `U${'A'.repeat(55)}`;
    expect(configFromEnv({}).toolExecutor.grantSigners).toEqual([]);
    expect(configFromEnv({ SIGNALBOX_GRANT_SIGNERS: ` ${key}, ${key.replace('A', 'B')} ` }).toolExecutor.grantSigners).toEqual([key, key.replace('A', 'B')]);
    expect(() => configFromEnv({ SIGNALBOX_GRANT_SIGNERS: 'SUAAAA' })).toThrow(/^invalid setting: SIGNALBOX_GRANT_SIGNERS: .*user public NKey/);
  });

  it('reads the tools an executor offers as a comma-separated list of names and prefixes, every tool it has unless set', () => {
    expect(configFromEnv({}).toolExecutor.tools).toBeUndefined();
    expect(configFromEnv({ SIGNALBOX_EXECUTOR_TOOLS: 'shell.exec' }).toolExecutor.tools).toEqual(['shell.exec']);
    expect(configFromEnv({ SIGNALBOX_EXECUTOR_TOOLS: ' workspace.*, http.fetch ' }).toolExecutor.tools).toEqual(['workspace.*', 'http.fetch']);
    expect(() => configFromEnv({ SIGNALBOX_EXECUTOR_TOOLS: 'shell.*.exec' })).toThrow(/^invalid setting: SIGNALBOX_EXECUTOR_TOOLS: .*"workspace\.\*"/);
    expect(() => configFromEnv({ SIGNALBOX_EXECUTOR_TOOLS: ' , ' })).toThrow(/^invalid setting: SIGNALBOX_EXECUTOR_TOOLS/);
  });

  it("reads the permission broker's seed, or the file holding it, and how long its grants hold (10 minutes unless set)", () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    expect(configFromEnv({}).permissionBroker).toEqual({ grantTtlMs: 600_000 });
    expect(configFromEnv({ SIGNALBOX_PERMISSION_BROKER_SEED: seed, SIGNALBOX_GRANT_TTL_MS: '60000' }).permissionBroker).toEqual({ nkeySeed: seed, grantTtlMs: 60_000 });
    expect(configFromEnv({ SIGNALBOX_PERMISSION_BROKER_SEED_FILE: '/run/secrets/broker.nk' }).permissionBroker).toMatchObject({ nkeySeedFile: '/run/secrets/broker.nk' });
    expect(() => configFromEnv({ SIGNALBOX_GRANT_TTL_MS: String(25 * 3600 * 1000) })).toThrow(/^invalid setting: SIGNALBOX_GRANT_TTL_MS: /);
  });

  it("refuses a broker seed that is not a user seed, or one given twice, naming the variable and never the seed", () => {
    const account = 'SA' + 'B'.repeat(56);
    const refusal = (() => {
      try {
        configFromEnv({ SIGNALBOX_PERMISSION_BROKER_SEED: account });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(refusal?.message).toMatch(/^invalid setting: SIGNALBOX_PERMISSION_BROKER_SEED: an NKey user seed/);
    expect(refusal?.message).not.toContain(account);
    const seed = new TextDecoder().decode(createUser().getSeed());
    expect(() => configFromEnv({ SIGNALBOX_PERMISSION_BROKER_SEED: seed, SIGNALBOX_PERMISSION_BROKER_SEED_FILE: '/run/secrets/broker.nk' })).toThrow(
      /^invalid setting: SIGNALBOX_PERMISSION_BROKER_SEED_FILE: the seed is set twice/,
    );
  });
});

describe('readEnvironment', () => {
  it('keeps only the variables Signalbox knows', () => {
    expect(readEnvironment({ NATS_URL: 'nats://x:4222', HOME: '/root', NO_COLOR: '1' })).toEqual({ NATS_URL: 'nats://x:4222', NO_COLOR: '1' });
  });
});

describe('maskedConfig', () => {
  it('shows whether each key is set, never the key', () => {
    const shown = JSON.stringify(maskedConfig(configFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-secret' })));
    expect(shown).not.toContain('sk-ant-secret');
    expect(shown).toContain('"anthropic":{"kind":"anthropic","apiKeyEnv":"ANTHROPIC_API_KEY","apiKey":"[set]"}');
    expect(shown).toContain('"apiKey":"[not set]"');
  });

  it("shows whether the permission broker's seed is set, never the seed", () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    const shown = JSON.stringify(maskedConfig(configFromEnv({ SIGNALBOX_PERMISSION_BROKER_SEED: seed })));
    expect(shown).not.toContain(seed);
    expect(shown).toContain('"permissionBroker":{"grantTtlMs":600000,"nkeySeed":"[set]"}');
    expect(JSON.stringify(maskedConfig(configFromEnv({})))).toContain('"permissionBroker":{"grantTtlMs":600000}');
  });

  it('shows whether the vault key files are set, never where they are', () => {
    const shown = JSON.stringify(maskedConfig(configFromEnv({ SIGNALBOX_SECRETS_KEY_FILE: '/run/secrets/vault.key' })));
    expect(shown).not.toContain('/run/secrets/vault.key');
    expect(shown).toContain('"secrets":{"keyFile":"[set]","previousKeyFile":"[not set]"}');
  });
});

describe('the vault key settings', () => {
  it('are read from SIGNALBOX_SECRETS_KEY_FILE and SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE', () => {
    expect(configFromEnv({ SIGNALBOX_SECRETS_KEY_FILE: '/k/new', SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE: '/k/old' }).secrets).toEqual({ keyFile: '/k/new', previousKeyFile: '/k/old' });
    expect(configFromEnv({}).secrets).toEqual({});
  });
});
