import { hostname } from 'node:os';
import { permissionCheckTimeoutMs, RetentionPeriod } from '@signalbox/events';
import { ProviderConfig, providerConfigFromEnv } from '@signalbox/models';
import { defaultGrantTtlMs } from '@signalbox/policy';
import { defaultEventPartitions } from '@signalbox/store';
import { z } from 'zod';
import { maskNatsUrl, maskUrlsIn, NatsAuth } from './nats-auth.ts';

/**
 * Every environment variable Signalbox reads, by name. This module is the only place outside tests
 * that reads `process.env`: everything else is handed what it needs from here.
 */
export const Environment = z.object({
  NATS_URL: z.string().min(1).optional().describe('NATS server URLs, comma-separated (default nats://127.0.0.1:4222)'),
  SIGNALBOX_NATS_USER: z.string().min(1).optional().describe('NATS user (with SIGNALBOX_NATS_PASSWORD); or nats://user:pass@host in NATS_URL'),
  SIGNALBOX_NATS_PASSWORD: z.string().min(1).optional().describe('secret: the NATS user\'s password'),
  SIGNALBOX_NATS_TOKEN: z.string().min(1).optional().describe('secret: NATS token; or nats://token@host in NATS_URL'),
  SIGNALBOX_NATS_NKEY_SEED: z.string().min(1).optional().describe('secret: NATS NKey user seed (SU...)'),
  SIGNALBOX_NATS_NKEY_SEED_FILE: z.string().min(1).optional().describe('a file holding the NATS NKey user seed'),
  SIGNALBOX_NATS_CREDS: z.string().min(1).optional().describe('a NATS .creds file (user JWT and seed)'),
  SIGNALBOX_NATS_TLS_CA: z.string().min(1).optional().describe("PEM file of the CA that signed the NATS server's certificate"),
  SIGNALBOX_NATS_TLS_CERT: z.string().min(1).optional().describe('PEM client certificate, for servers that verify clients (with SIGNALBOX_NATS_TLS_KEY)'),
  SIGNALBOX_NATS_TLS_KEY: z.string().min(1).optional().describe("PEM key of the client certificate"),
  SIGNALBOX_NATS_INBOX_PREFIX: z.string().min(1).optional().describe('where this process hears replies: a task publisher\'s user may subscribe only under its own (default _INBOX; services _SBX_INBOX.<service>)'),
  SIGNALBOX_PREFIX: z.string().min(1).optional().describe('subject, stream and bucket prefix, so installations can share a NATS (default sbx)'),
  LOG_LEVEL: z.string().min(1).optional().describe('pino level: fatal, error, warn, info, debug, trace or silent (default info)'),
  SIGNALBOX_REPLICAS: z.string().min(1).optional().describe('stream and bucket replicas: 1, or 3 on a cluster'),
  SIGNALBOX_INSTANCE: z.string().min(1).optional().describe('this process in logs and consumer names (default <hostname>-<pid>)'),
  SIGNALBOX_ACK_WAIT_MS: z.string().min(1).optional().describe("how long a dead worker's messages wait before another gets them"),
  SIGNALBOX_ACTOR_CONCURRENCY: z.string().min(1).optional().describe('messages a session actor process handles at once'),
  SIGNALBOX_ACTOR_MAX_DELIVER: z.string().min(1).optional().describe('deliveries of a session message before it is dead-lettered'),
  SIGNALBOX_SNAPSHOT_EVERY: z.string().min(1).optional().describe('events between session snapshots; 0 turns them off'),
  SIGNALBOX_MAX_STEPS_CEILING: z.string().min(1).optional().describe("the most maxSteps a task or resume may ask for, unless the agent's budgetCeiling says otherwise (default 1000)"),
  SIGNALBOX_MAX_COST_USD_CEILING: z.string().min(1).optional().describe("the most maxCostUsd a task or resume may ask for, unless the agent's budgetCeiling says otherwise (default 100)"),
  SIGNALBOX_PERMISSION_CHECK_TIMEOUT_MS: z.string().min(1).optional().describe('how long a tool call waits for a permission broker to answer before it is denied (default 30000)'),
  SIGNALBOX_LIVE_OUTPUT: z.string().min(1).optional().describe("send the models' text as it arrives on sbx.live.<sessionId>, asking models to stream (default true; false turns it off)"),
  SIGNALBOX_EXECUTOR_CONCURRENCY: z.string().min(1).optional().describe('calls of each tool an executor process runs at once'),
  SIGNALBOX_EXECUTOR_MAX_DELIVER: z.string().min(1).optional().describe('deliveries of a tool job before it is dead-lettered'),
  SIGNALBOX_EXECUTOR_IN_PROCESS: z.string().min(1).optional().describe('"true": an executor in a session actor\'s process runs its idempotent calls directly, not over the jobs stream (default false)'),
  SIGNALBOX_EXECUTOR_TOOLS: z.string().min(1).optional().describe('comma-separated tools a tool executor offers, names or "prefix.*" patterns (default: every tool it has)'),
  SIGNALBOX_GRANT_SIGNERS: z.string().min(1).optional().describe("comma-separated public NKeys of the permission brokers whose grants executors require (unset: executors run every job)"),
  SIGNALBOX_PERMISSION_BROKER_SEED: z.string().min(1).optional().describe('secret: the NKey user seed (SU...) the permission broker signs grants with (unset: it issues none)'),
  SIGNALBOX_PERMISSION_BROKER_SEED_FILE: z.string().min(1).optional().describe('a file holding the permission broker\'s NKey user seed'),
  SIGNALBOX_GRANT_TTL_MS: z.string().min(1).optional().describe('how long a grant the permission broker signs holds (default 600000, 10 minutes)'),
  SIGNALBOX_MCP_SERVERS: z.string().min(1).optional().describe('a YAML or JSON file of MCP servers (stdio commands, Streamable HTTP URLs) whose tools executors offer as mcp.<server>.<tool> (unset: none)'),
  SIGNALBOX_SECRETS_KEY_FILE: z.string().min(1).optional().describe('secret: a file holding the vault master key, 32 random bytes in base64 (openssl rand -base64 32); never sent to NATS'),
  SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE: z.string().min(1).optional().describe('secret: during a key rotation, the file of the key secrets were sealed under before (opens, never seals)'),
  SIGNALBOX_RETENTION: z.string().min(1).optional().describe('how long completed sessions are kept before the retention sweeper deletes them, like 30d (an agent\'s `retention` wins); unset: kept for ever'),
  SIGNALBOX_EVENT_PARTITIONS: z.string().min(1).optional().describe('partitions the event subscriber splits sessions into: the most replicas of one subscriber that share work (default 8)'),
  SIGNALBOX_METRICS_PORT: z.string().min(1).optional().describe("serve Prometheus metrics on this port at /metrics (0: any free port; unset: none)"),
  SIGNALBOX_METRICS_HOST: z.string().min(1).optional().describe('the address the metrics endpoint listens on (default 127.0.0.1)'),
  SIGNALBOX_HEALTH_PORT: z.string().min(1).optional().describe('serve liveness at /healthz and readiness at /readyz on this port (0: any free port; unset: none)'),
  SIGNALBOX_HEALTH_HOST: z.string().min(1).optional().describe('the address the health endpoint listens on (default 127.0.0.1; 0.0.0.0 in a container, for its probes)'),
  SIGNALBOX_STOP_GRACE_MS: z.string().min(1).optional().describe('how long a SIGTERM lets in-flight work finish before the process exits anyway, with status 1 (default 25000)'),
  SIGNALBOX_GATEWAY_PORT: z.string().min(1).optional().describe('the port the gateway serves its HTTP API and the web console on (default 8470; 0: any free port)'),
  SIGNALBOX_GATEWAY_HOST: z.string().min(1).optional().describe('the address the gateway listens on (default 127.0.0.1; anything else exposes it beyond this machine)'),
  SIGNALBOX_GATEWAY_CONSOLE_DIR: z.string().min(1).optional().describe("the web console's built files the gateway serves at / (default services/gateway/console/dist)"),
  SIGNALBOX_GATEWAY_RATE_PER_SECOND: z.string().min(1).optional().describe('requests a second each gateway token may make, on average, per gateway process (default 20)'),
  SIGNALBOX_GATEWAY_RATE_BURST: z.string().min(1).optional().describe('requests a gateway token may make at once before the rate applies (default 60)'),
  SIGNALBOX_GATEWAY_MAX_STREAMS: z.string().min(1).optional().describe('live event streams (SSE) one gateway token may hold open at once, per gateway process (default 16)'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().min(1).optional().describe('export traces by OTLP over HTTP (JSON) to this base URL, at /v1/traces (unset: no traces, no cost)'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().min(1).optional().describe('the whole OTLP traces URL, when it is not <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces'),
  OTEL_SERVICE_NAME: z.string().min(1).optional().describe('service.name of the traces this process exports (default: its service, or signalbox for a process of several)'),
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
  /** The most a task or a resume may set a budget limit to, where the agent sets no `budgetCeiling` of its own. */
  budgetCeiling: z
    .object({ maxSteps: positiveInt.default(1_000), maxCostUsd: z.coerce.number().positive().default(100) })
    .prefault({}),
  /** How long a tool call waits for a broker's verdict; past it the call is denied (fail closed). */
  permissionCheckTimeoutMs: positiveInt.default(permissionCheckTimeoutMs),
  /** Sends the models' text as it arrives on `<prefix>.live.<sessionId>` (models are then asked to stream); `false` asks no model to stream. */
  liveOutput: z.union([z.boolean(), z.stringbool()]).default(true),
});

/** What a tool executor process does unless told otherwise. */
export const ToolExecutorSettings = z.object({
  concurrency: positiveInt.default(16),
  maxDeliver: positiveInt.default(5),
  /**
   * The permission brokers' public NKeys (`U…`) whose grants this executor honours. When any is set,
   * it runs no job without a valid grant from one of them; when none is, it runs every job, as before
   * the broker existed.
   */
  grantSigners: z
    .preprocess(commaList, z.array(z.string().regex(/^U[A-Z2-7]{55}$/, 'a user public NKey (U…, 56 characters)')))
    .default([]),
  /**
   * Whether an executor sharing its process with a session actor (`signalbox up`) runs that actor's calls
   * of its idempotent tools directly, not over the jobs stream: faster steps, no spreading of those calls
   * over other executor processes. Off by default.
   */
  inProcess: z.union([z.boolean(), z.stringbool()]).default(false),
  /** A YAML or JSON file listing the MCP servers whose tools executors offer as `mcp.<server>.<tool>`; unset: none. */
  mcpServersFile: z.string().min(1).optional(),
  /**
   * The tools this executor offers, of those it has: names (`shell.exec`) or prefixes (`workspace.*`).
   * Unset: all of them. A deployment runs `shell.exec` on executors of its own, as a NATS user that may take only its jobs.
   */
  tools: z.preprocess(commaList, z.array(z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, 'a tool name like "shell.exec", or a prefix like "workspace.*"')).min(1)).optional(),
});

function commaList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter(Boolean) : value;
}

/** What the permission broker signs its grants with, and for how long they hold. */
export const PermissionBrokerSettings = z
  .object({
    /** Secret: never logged (the logger redacts `nkeySeed`; `maskedConfig` shows only whether it is set). Unset: no grants. */
    nkeySeed: z.string().regex(/^SU[A-Z2-7]{56}$/, 'an NKey user seed (SU…, 58 characters)').optional(),
    /** A file holding the seed, read when the broker starts, so the seed need not sit in the environment. */
    nkeySeedFile: z.string().min(1).optional(),
    /** The ToolGrant contract caps a grant at a day. */
    grantTtlMs: positiveInt.max(24 * 3600 * 1000).default(defaultGrantTtlMs),
  })
  .refine((settings) => settings.nkeySeed === undefined || settings.nkeySeedFile === undefined, {
    message: 'the seed is set twice, with SIGNALBOX_PERMISSION_BROKER_SEED too: give one',
    path: ['nkeySeedFile'],
  });

/**
 * The vault's master keys, as files: read by the processes that open secrets (executors, and session
 * actors for agents' provider keys) or seal them (the CLI). Secret: `maskedConfig` shows only whether each is set, and nothing logs them.
 */
export const SecretsSettings = z.object({
  keyFile: z.string().min(1).optional(),
  previousKeyFile: z.string().min(1).optional(),
});

/** Where the gateway listens and how much each token may ask of it. */
export const GatewaySettings = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8470),
  /** Loopback unless told otherwise: doctor warns when it is not. */
  host: z.string().min(1).default('127.0.0.1'),
  /** The console's Vite build output; unset: services/gateway/console/dist. */
  consoleDir: z.string().min(1).optional(),
  rate: z.object({ perSecond: z.coerce.number().positive().default(20), burst: positiveInt.default(60) }).prefault({}),
  maxStreamsPerToken: positiveInt.default(16),
});

/**
 * OpenTelemetry's own variables (the exporter reads its headers, timeouts and compression from the
 * environment itself). The URLs are checked here; one that is not http(s) is left for `doctor` to warn of.
 */
export const TracingSettings = z.object({
  /** The OTLP base URL: traces go to `<endpoint>/v1/traces`. */
  endpoint: z.url().optional(),
  /** The whole traces URL, which wins over `endpoint`. */
  tracesEndpoint: z.url().optional(),
  serviceName: z.string().min(1).optional(),
});
export type TracingSettings = z.infer<typeof TracingSettings>;

/** Settings every Signalbox process runs with. */
export const RuntimeConfig = z.object({
  natsUrl: z.string().default('nats://127.0.0.1:4222'),
  /** How to authenticate to NATS (besides any userinfo in `natsUrl`); never logged: `maskedConfig` for showing it. */
  natsAuth: NatsAuth.prefault({}),
  prefix: z.string().default('sbx'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  replicas: z.coerce.number().int().min(1).max(5).default(1),
  instance: z.string().default(`${hostname()}-${process.pid}`),
  /** How long a delivered message may go unacknowledged before another worker gets it (a crashed worker's messages). */
  ackWaitMs: z.coerce.number().int().min(500).default(30_000),
  sessionActor: SessionActorSettings.prefault({}),
  toolExecutor: ToolExecutorSettings.prefault({}),
  permissionBroker: PermissionBrokerSettings.prefault({}),
  secrets: SecretsSettings.prefault({}),
  /** Partitions of the event subscriber's stream: replicas of a subscribing service share them. Same in every process. */
  eventPartitions: z.coerce.number().int().min(1).max(1024).default(defaultEventPartitions),
  /** How long completed sessions are kept before the retention sweeper deletes them, where their agent sets no `retention`; unset: for ever. */
  retention: RetentionPeriod.optional(),
  /** Model provider endpoints, with their keys (never logged: `maskedConfig` for showing them). */
  models: ProviderConfig.prefault({ providers: {} }),
  /** Where the process serves Prometheus metrics (`/metrics`); no port: it serves none. Loopback unless told otherwise. */
  metrics: z.object({ port: z.coerce.number().int().min(0).max(65_535).optional(), host: z.string().min(1).default('127.0.0.1') }).prefault({}),
  /** Where the process answers liveness (`/healthz`) and readiness (`/readyz`) probes; no port: it serves none. Loopback unless told otherwise. */
  health: z.object({ port: z.coerce.number().int().min(0).max(65_535).optional(), host: z.string().min(1).default('127.0.0.1') }).prefault({}),
  /**
   * How long a SIGTERM lets in-flight work finish; past it the process exits with status 1 and the
   * work it held is redelivered. Below Kubernetes' default 30 s grace, so the process ends itself first.
   */
  stopGraceMs: z.coerce.number().int().min(1_000).max(3_600_000).default(25_000),
  gateway: GatewaySettings.prefault({}),
  /** Where the process exports its traces by OTLP; no endpoint: it records none. */
  tracing: TracingSettings.prefault({}),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

/** Which variable sets which setting. */
const settingsByVariable = {
  NATS_URL: ['natsUrl'],
  SIGNALBOX_METRICS_PORT: ['metrics', 'port'],
  SIGNALBOX_METRICS_HOST: ['metrics', 'host'],
  SIGNALBOX_HEALTH_PORT: ['health', 'port'],
  SIGNALBOX_HEALTH_HOST: ['health', 'host'],
  SIGNALBOX_STOP_GRACE_MS: ['stopGraceMs'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['tracing', 'endpoint'],
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ['tracing', 'tracesEndpoint'],
  OTEL_SERVICE_NAME: ['tracing', 'serviceName'],
  SIGNALBOX_NATS_USER: ['natsAuth', 'user'],
  SIGNALBOX_NATS_PASSWORD: ['natsAuth', 'password'],
  SIGNALBOX_NATS_TOKEN: ['natsAuth', 'token'],
  SIGNALBOX_NATS_NKEY_SEED: ['natsAuth', 'nkeySeed'],
  SIGNALBOX_NATS_NKEY_SEED_FILE: ['natsAuth', 'nkeySeedFile'],
  SIGNALBOX_NATS_CREDS: ['natsAuth', 'credsFile'],
  SIGNALBOX_NATS_TLS_CA: ['natsAuth', 'tlsCa'],
  SIGNALBOX_NATS_TLS_CERT: ['natsAuth', 'tlsCert'],
  SIGNALBOX_NATS_TLS_KEY: ['natsAuth', 'tlsKey'],
  SIGNALBOX_NATS_INBOX_PREFIX: ['natsAuth', 'inboxPrefix'],
  SIGNALBOX_PREFIX: ['prefix'],
  LOG_LEVEL: ['logLevel'],
  SIGNALBOX_REPLICAS: ['replicas'],
  SIGNALBOX_INSTANCE: ['instance'],
  SIGNALBOX_ACK_WAIT_MS: ['ackWaitMs'],
  SIGNALBOX_ACTOR_CONCURRENCY: ['sessionActor', 'concurrency'],
  SIGNALBOX_ACTOR_MAX_DELIVER: ['sessionActor', 'maxDeliver'],
  SIGNALBOX_SNAPSHOT_EVERY: ['sessionActor', 'snapshotEvery'],
  SIGNALBOX_MAX_STEPS_CEILING: ['sessionActor', 'budgetCeiling', 'maxSteps'],
  SIGNALBOX_MAX_COST_USD_CEILING: ['sessionActor', 'budgetCeiling', 'maxCostUsd'],
  SIGNALBOX_PERMISSION_CHECK_TIMEOUT_MS: ['sessionActor', 'permissionCheckTimeoutMs'],
  SIGNALBOX_LIVE_OUTPUT: ['sessionActor', 'liveOutput'],
  SIGNALBOX_EXECUTOR_CONCURRENCY: ['toolExecutor', 'concurrency'],
  SIGNALBOX_EXECUTOR_MAX_DELIVER: ['toolExecutor', 'maxDeliver'],
  SIGNALBOX_EXECUTOR_TOOLS: ['toolExecutor', 'tools'],
  SIGNALBOX_EXECUTOR_IN_PROCESS: ['toolExecutor', 'inProcess'],
  SIGNALBOX_GRANT_SIGNERS: ['toolExecutor', 'grantSigners'],
  SIGNALBOX_MCP_SERVERS: ['toolExecutor', 'mcpServersFile'],
  SIGNALBOX_PERMISSION_BROKER_SEED: ['permissionBroker', 'nkeySeed'],
  SIGNALBOX_PERMISSION_BROKER_SEED_FILE: ['permissionBroker', 'nkeySeedFile'],
  SIGNALBOX_GRANT_TTL_MS: ['permissionBroker', 'grantTtlMs'],
  SIGNALBOX_SECRETS_KEY_FILE: ['secrets', 'keyFile'],
  SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE: ['secrets', 'previousKeyFile'],
  SIGNALBOX_EVENT_PARTITIONS: ['eventPartitions'],
  SIGNALBOX_RETENTION: ['retention'],
  SIGNALBOX_GATEWAY_PORT: ['gateway', 'port'],
  SIGNALBOX_GATEWAY_HOST: ['gateway', 'host'],
  SIGNALBOX_GATEWAY_CONSOLE_DIR: ['gateway', 'consoleDir'],
  SIGNALBOX_GATEWAY_RATE_PER_SECOND: ['gateway', 'rate', 'perSecond'],
  SIGNALBOX_GATEWAY_RATE_BURST: ['gateway', 'rate', 'burst'],
  SIGNALBOX_GATEWAY_MAX_STREAMS: ['gateway', 'maxStreamsPerToken'],
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
  // A list setting's issue names an item below it (`toolExecutor.grantSigners.1`): its variable still.
  const matches = (setting: readonly string[]) => setting.every((key, index) => path[index] === key);
  return Object.entries(settingsByVariable).find(([, setting]) => matches(setting))?.[0];
}

/** The NATS credentials in `env` alone (the CLI adds its flags to them), without checking the other settings. */
export function natsAuthFromEnv(env: NodeJS.ProcessEnv = process.env): NatsAuth {
  const known = readEnvironment(env);
  const auth: Record<string, unknown> = {};
  for (const [variable, path] of Object.entries(settingsByVariable)) if (path[0] === 'natsAuth') setAt(auth, path.slice(1), known[variable as keyof Environment]);
  return NatsAuth.parse(auth);
}

/** The configuration as it may be shown (`signalbox doctor --json`): every key and secret replaced by whether it is set, URLs masked. */
export function maskedConfig(config: RuntimeConfig): unknown {
  const providers = Object.fromEntries(
    Object.entries(config.models.providers).map(([name, { apiKey, ...endpoint }]) => [name, { ...endpoint, apiKey: apiKey ? '[set]' : '[not set]' }]),
  );
  const { password, token, nkeySeed, ...natsAuth } = config.natsAuth;
  const secrets = Object.fromEntries(Object.entries({ password, token, nkeySeed }).filter(([, value]) => value !== undefined).map(([key]) => [key, '[set]']));
  const { nkeySeed: brokerSeed, ...permissionBroker } = config.permissionBroker;
  return {
    ...config,
    natsUrl: maskNatsUrl(config.natsUrl),
    natsAuth: { ...natsAuth, ...secrets },
    permissionBroker: brokerSeed === undefined ? permissionBroker : { ...permissionBroker, nkeySeed: '[set]' },
    secrets: { keyFile: shownAsSet(config.secrets.keyFile), previousKeyFile: shownAsSet(config.secrets.previousKeyFile) },
    models: { ...config.models, providers },
    tracing: { ...config.tracing, ...maskedUrls(config.tracing) },
  };
}

/** Collectors' URLs may hold credentials in their userinfo, like NATS URLs. */
function maskedUrls({ endpoint, tracesEndpoint }: TracingSettings): Partial<TracingSettings> {
  return {
    ...(endpoint === undefined ? {} : { endpoint: maskUrlsIn(endpoint) }),
    ...(tracesEndpoint === undefined ? {} : { tracesEndpoint: maskUrlsIn(tracesEndpoint) }),
  };
}

function shownAsSet(value: string | undefined): string {
  return value === undefined ? '[not set]' : '[set]';
}
