import { hostname } from 'node:os';
import { ProviderConfig, providerConfigFromEnv } from '@signalbox/models';
import { defaultEventPartitions } from '@signalbox/store';
import { z } from 'zod';

/**
 * Every environment variable Signalbox reads, by name. This module is the only place outside tests
 * that reads `process.env`: everything else is handed what it needs from here.
 */
export const Environment = z.object({
  NATS_URL: z.string().min(1).optional().describe('NATS server URLs, comma-separated (default nats://127.0.0.1:4222)'),
  SIGNALBOX_PREFIX: z.string().min(1).optional().describe('subject, stream and bucket prefix, so installations can share a NATS (default sbx)'),
  LOG_LEVEL: z.string().min(1).optional().describe('pino level: fatal, error, warn, info, debug, trace or silent (default info)'),
  SIGNALBOX_REPLICAS: z.string().min(1).optional().describe('stream and bucket replicas: 1, or 3 on a cluster'),
  SIGNALBOX_INSTANCE: z.string().min(1).optional().describe('this process in logs and consumer names (default <hostname>-<pid>)'),
  SIGNALBOX_ACK_WAIT_MS: z.string().min(1).optional().describe("how long a dead worker's messages wait before another gets them"),
  SIGNALBOX_ACTOR_CONCURRENCY: z.string().min(1).optional().describe('messages a session actor process handles at once'),
  SIGNALBOX_ACTOR_MAX_DELIVER: z.string().min(1).optional().describe('deliveries of a session message before it is dead-lettered'),
  SIGNALBOX_SNAPSHOT_EVERY: z.string().min(1).optional().describe('events between session snapshots; 0 turns them off'),
  SIGNALBOX_EXECUTOR_CONCURRENCY: z.string().min(1).optional().describe('calls of each tool an executor process runs at once'),
  SIGNALBOX_EXECUTOR_MAX_DELIVER: z.string().min(1).optional().describe('deliveries of a tool job before it is dead-lettered'),
  SIGNALBOX_EVENT_PARTITIONS: z.string().min(1).optional().describe('partitions the event subscriber splits sessions into: the most replicas of one subscriber that share work (default 8)'),
  ANTHROPIC_API_KEY: z.string().min(1).optional().describe('secret: the anthropic provider'),
  ANTHROPIC_BASE_URL: z.string().min(1).optional().describe('the anthropic provider elsewhere than the public API'),
  OPENAI_API_KEY: z.string().min(1).optional().describe('secret: the openai provider'),
  OPENAI_BASE_URL: z.string().min(1).optional().describe('the openai provider elsewhere than the public API'),
  SIGNALBOX_PROVIDERS: z.string().min(1).optional().describe('JSON: model provider endpoints to add or change'),
  NATS_SERVER_BIN: z.string().min(1).optional().describe('the nats-server binary `up` and the demo start when they need one'),
  NO_COLOR: z.string().optional().describe('any value: no colour on a terminal'),
});
export type Environment = z.infer<typeof Environment>;

/** The variables Signalbox knows, from `env` (the process's by default); each endpoint's own key variable is read by `configFromEnv`. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const known = Object.fromEntries(Object.keys(Environment.shape).map((name) => [name, env[name] || undefined]));
  return Environment.parse(known);
}

const positiveInt = z.coerce.number().int().positive();

/** What a session actor process does unless told otherwise. */
export const SessionActorSettings = z.object({
  concurrency: positiveInt.default(64),
  /** Generous: every crash of a worker redelivers the messages it held, handled or not. */
  maxDeliver: positiveInt.default(20),
  snapshotEvery: z.coerce.number().int().nonnegative().default(50),
});

/** What a tool executor process does unless told otherwise. */
export const ToolExecutorSettings = z.object({
  concurrency: positiveInt.default(16),
  maxDeliver: positiveInt.default(5),
});

/** Settings every Signalbox process runs with. */
export const RuntimeConfig = z.object({
  natsUrl: z.string().default('nats://127.0.0.1:4222'),
  prefix: z.string().default('sbx'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  replicas: z.coerce.number().int().min(1).max(5).default(1),
  instance: z.string().default(`${hostname()}-${process.pid}`),
  /** How long a delivered message may go unacknowledged before another worker gets it (a crashed worker's messages). */
  ackWaitMs: z.coerce.number().int().min(500).default(30_000),
  sessionActor: SessionActorSettings.prefault({}),
  toolExecutor: ToolExecutorSettings.prefault({}),
  /** Partitions of the event subscriber's stream: replicas of a subscribing service share them. Same in every process. */
  eventPartitions: z.coerce.number().int().min(1).max(1024).default(defaultEventPartitions),
  /** Model provider endpoints, with their keys (never logged: `maskedConfig` for showing them). */
  models: ProviderConfig.prefault({ providers: {} }),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

/** Which variable sets which setting. */
const settingsByVariable = {
  NATS_URL: ['natsUrl'],
  SIGNALBOX_PREFIX: ['prefix'],
  LOG_LEVEL: ['logLevel'],
  SIGNALBOX_REPLICAS: ['replicas'],
  SIGNALBOX_INSTANCE: ['instance'],
  SIGNALBOX_ACK_WAIT_MS: ['ackWaitMs'],
  SIGNALBOX_ACTOR_CONCURRENCY: ['sessionActor', 'concurrency'],
  SIGNALBOX_ACTOR_MAX_DELIVER: ['sessionActor', 'maxDeliver'],
  SIGNALBOX_SNAPSHOT_EVERY: ['sessionActor', 'snapshotEvery'],
  SIGNALBOX_EXECUTOR_CONCURRENCY: ['toolExecutor', 'concurrency'],
  SIGNALBOX_EXECUTOR_MAX_DELIVER: ['toolExecutor', 'maxDeliver'],
  SIGNALBOX_EVENT_PARTITIONS: ['eventPartitions'],
} as const satisfies Partial<Record<keyof Environment, readonly string[]>>;

/** A setting in the environment that Signalbox cannot use; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const known = readEnvironment(env);
  const input: Record<string, unknown> = {};
  for (const [variable, path] of Object.entries(settingsByVariable)) setAt(input, path, known[variable as keyof Environment]);
  // An endpoint may name any variable as its key's (`apiKeyEnv`), so the whole environment is passed.
  input['models'] = providerConfigFromEnv(env);
  const parsed = RuntimeConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${variableAt(issue.path) ?? issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid setting: ${problems.join('; ')}`, { cause: parsed.error });
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [key, ...rest] = path;
  if (key === undefined) return;
  if (rest.length === 0) target[key] = value;
  else setAt((target[key] ??= {}) as Record<string, unknown>, rest, value);
}

function variableAt(path: readonly PropertyKey[]): string | undefined {
  const wanted = path.join('.');
  return Object.entries(settingsByVariable).find(([, setting]) => setting.join('.') === wanted)?.[0];
}

/** The configuration as it may be shown (`signalbox doctor --json`): every key replaced by whether it is set. */
export function maskedConfig(config: RuntimeConfig): unknown {
  const providers = Object.fromEntries(
    Object.entries(config.models.providers).map(([name, { apiKey, ...endpoint }]) => [name, { ...endpoint, apiKey: apiKey ? '[set]' : '[not set]' }]),
  );
  return { ...config, models: { ...config.models, providers } };
}
