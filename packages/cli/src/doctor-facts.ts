import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { readMcpServersFile, secretsOfServer, type RuntimeConfig } from '@signalbox/runtime';
import { ApiTokens, MemoryStore, partitionCountOf, permissionRefusal, readMcpStatuses, streamConfigs } from '@signalbox/store';
import { z } from 'zod';
import { permissionFactsOf } from './doctor-permission-facts.ts';
import { gatedAgentsOf } from './doctor-gate-facts.ts';
import { judgeFactsOf } from './doctor-judge-checks.ts';
import { graderFactOf } from './doctor-grader-checks.ts';
import { retentionFactsOf } from './doctor-retention-facts.ts';
import { agentMemoryFactsOf, withPinnedStates } from './doctor-agent-memory-checks.ts';
import { storedMemoryStores } from './doctor-memory-facts.ts';
import { memoryFactsOf } from './doctor-memory-checks.ts';
import { storedAgents, vaultFactsOf } from './doctor-vault-facts.ts';
import type { BucketFact, DoctorFacts, JetStreamFact, StreamFact, StreamRole, SubscribersFact, SyncSetting, UnservedFact, WorkerPoolFact } from './doctor-checks.ts';
import type { VaultFacts } from './doctor-vault-checks.ts';
import type { McpFacts } from './doctor-mcp-checks.ts';
import type { GatewayFacts } from './doctor-gateway-checks.ts';

// The JetStream API is read over plain request/reply, so doctor also works before any stream exists.
const ApiError = z.object({ code: z.number(), err_code: z.number().optional(), description: z.string() });
const ApiReply = z.object({ error: ApiError.optional() });
type ApiError = z.infer<typeof ApiError>;

const AccountInfo = z.object({
  memory: z.number(),
  storage: z.number(),
  streams: z.number(),
  consumers: z.number(),
  domain: z.string().optional(),
});

const StreamNames = z.object({ total: z.number(), streams: z.array(z.string()).nullable() });

const StreamInfo = z.object({
  config: z.object({
    num_replicas: z.number(),
    storage: z.string(),
    retention: z.string(),
    max_msg_size: z.number(),
    duplicate_window: z.number().default(0),
    max_age: z.number().default(0),
    allow_msg_schedules: z.boolean().default(false),
  }),
  state: z.object({ messages: z.number(), bytes: z.number(), consumer_count: z.number() }),
  cluster: z
    .object({
      leader: z.string().optional(),
      replicas: z.array(z.object({ name: z.string(), current: z.boolean(), offline: z.boolean().default(false) })).default([]),
    })
    .optional(),
});

const ConsumerList = z.object({
  total: z.number(),
  consumers: z
    .array(
      z.object({
        name: z.string(),
        config: z.object({ filter_subject: z.string().default(''), inactive_threshold: z.number().default(0) }),
        num_pending: z.number(),
        num_ack_pending: z.number(),
        num_waiting: z.number(),
      }),
    )
    .nullable(),
});

/** The partitions stream's source, whose subject transform says how many partitions it has. */
const PartitionsInfo = z.object({
  config: z.object({ sources: z.array(z.object({ subject_transforms: z.array(z.object({ dest: z.string() })).nullish() })).nullish() }),
});

const StreamSubjects = z.object({ state: z.object({ subjects: z.record(z.string(), z.number()).nullish() }) });

/** The parts of nats-server's `/varz` doctor reads; the sync fields may be left out. */
export const Varz = z.object({
  server_name: z.string(),
  version: z.string(),
  jetstream: z
    .object({
      config: z.object({ sync_interval: z.number().optional(), sync_always: z.boolean().optional() }).optional(),
      meta: z.object({ cluster_size: z.number().optional() }).optional(),
    })
    .optional(),
});
export type Varz = z.infer<typeof Varz>;

export type MonitorReply = { status: 'answered'; url: string; varz: Varz } | { status: 'unreachable'; url: string; error: string };

const nsPerMs = 1e6;
/** nats-server's file store fsyncs every two minutes unless told otherwise. */
const defaultSyncIntervalMs = 120_000;

/** What `/varz` says about fsync; `unknown` when it could not be read. */
export function syncSettingOf(monitor: MonitorReply): SyncSetting & { node?: string } {
  if (monitor.status === 'unreachable') {
    return {
      kind: 'unknown',
      reason: `no monitoring endpoint at ${monitor.url}: ${monitor.error}; start nats-server with -m <port> and pass --monitor <url>`,
    };
  }
  const { varz } = monitor;
  const node = varz.server_name;
  const config = varz.jetstream?.config ?? {};
  if (config.sync_always) return { kind: 'always', node };
  if (config.sync_interval) return { kind: 'interval', everyMs: config.sync_interval / nsPerMs, source: 'reported', node };
  return { kind: 'interval', everyMs: defaultSyncIntervalMs, source: 'default', node };
}

/** `http://<host of the NATS URL>:8222`, nats-server's usual monitoring port. */
export function defaultMonitorUrl(natsUrl: string): string {
  const first = natsUrl.split(',')[0]?.trim() ?? '';
  const host = new URL(first.includes('://') ? first : `nats://${first}`).hostname;
  return `http://${host}:8222`;
}

export async function readMonitor(url: string, timeoutMs = 2_000): Promise<MonitorReply> {
  const varzUrl = `${url.replace(/\/+$/, '')}/varz`;
  try {
    const response = await fetch(varzUrl, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { status: 'unreachable', url, error: `GET /varz answered ${response.status}` };
    return { status: 'answered', url, varz: Varz.parse(await response.json()) };
  } catch (error) {
    // fetch wraps the network error ("fetch failed"); its cause says what happened.
    const { cause, message } = error as Error & { cause?: { code?: string; message?: string } };
    return { status: 'unreachable', url, error: cause?.code ?? cause?.message ?? message };
  }
}

/** What this environment gives every Signalbox process that doctor checks the server against. */
export interface DoctorSettings {
  eventPartitions: number;
  /** `SIGNALBOX_GRANT_SIGNERS`: the brokers whose grants executors here require. */
  grantSigners: readonly string[];
  /** The ids of the vault keys this environment holds. */
  vaultKeys: VaultFacts['keys'];
  /** The model providers this environment configures, to check agents' judge models against. */
  providers?: RuntimeConfig['models']['providers'];
  /** `SIGNALBOX_RETENTION` here. */
  retention?: string;
  /** `SIGNALBOX_MCP_SERVERS` here. */
  mcpServersFile?: string;
  /** Where a gateway started here listens, and where it finds the console's build. */
  gateway?: Pick<GatewayFacts, 'host' | 'port' | 'consoleDir'>;
}

export async function gatherFacts(nc: NatsConnection, names: Naming, natsUrl: string, monitor: MonitorReply, settings: DoctorSettings): Promise<DoctorFacts> {
  const { eventPartitions: configuredPartitions, grantSigners, vaultKeys } = settings;
  const info = nc.info;
  if (!info) throw new Error('the NATS connection has no server info');
  const facts: DoctorFacts = {
    natsUrl,
    prefix: names.prefix,
    server: { version: info.version, id: info.server_id, name: info.server_name, maxPayload: info.max_payload },
    jetstream: await jetStreamOf(nc, info.jetstream === true),
    sync: syncSettingOf(monitor),
    streams: [],
    buckets: [],
    workers: [],
    unserved: [],
    subscribers: { configuredPartitions, durables: [] },
    permissions: { brokers: [], grantSigners: [...grantSigners], unstoredPolicies: [], overdueApprovals: [] },
    vault: { keys: vaultKeys, sealed: [], providerKeys: [] },
    gatedAgents: [],
  };
  if (info.cluster) {
    const nodes = monitor.status === 'answered' ? monitor.varz.jetstream?.meta?.cluster_size : undefined;
    facts.cluster = nodes === undefined ? { name: info.cluster } : { name: info.cluster, nodes };
  }
  if (!facts.jetstream.enabled) return facts;
  facts.streams = await Promise.all(streamConfigs(names).map((config) => streamFact(nc, names, config)));
  const existing = new Set(await streamNames(nc));
  facts.buckets = [
    ...Object.values(names.buckets).map((name): BucketFact => ({ name, kind: 'kv', present: existing.has(`KV_${name}`) })),
    ...Object.values(names.objectStores).map((name): BucketFact => ({ name, kind: 'object', present: existing.has(`OBJ_${name}`) })),
  ];
  const workQueues = [names.streams.tasks, names.streams.inbox, names.streams.jobs].filter((name) => existing.has(name));
  facts.workers = (await Promise.all(workQueues.map((stream) => workerPools(nc, stream)))).flat();
  if (existing.has(names.streams.jobs)) {
    facts.unserved = await unservedJobs(nc, names, facts.workers);
    facts.grader = graderFactOf(await pendingGradeJobs(nc, names), facts.workers, names.streams.jobs);
  }
  if (existing.has(names.streams.eventPartitions)) facts.subscribers = await subscribersOf(nc, names, configuredPartitions);
  const presentBuckets = new Set(facts.buckets.filter((bucket) => bucket.present).map((bucket) => bucket.name));
  facts.permissions = await permissionFactsOf(nc, names, presentBuckets, grantSigners, Date.now());
  if (presentBuckets.has(names.buckets.secrets)) facts.vault = { keys: vaultKeys, ...(await vaultFactsOf(nc, names, presentBuckets)) };
  facts.liveCapturedBy = await streamNames(nc, names.subjects.allLive);
  const mcp = await mcpFactsOf(nc, names, settings.mcpServersFile, presentBuckets, facts.vault.sealed.map(({ name }) => name));
  if (mcp) facts.mcp = mcp;
  if (settings.gateway) facts.gateway = await gatewayFactsOf(nc, names, settings.gateway, presentBuckets);
  if (presentBuckets.has(names.buckets.agents)) {
    const agents = await storedAgents(nc, names, presentBuckets);
    facts.judges = judgeFactsOf(agents, settings.providers ?? {});
    facts.gatedAgents = gatedAgentsOf(agents);
    facts.agents = [...agents];
    if (presentBuckets.has(names.buckets.sessions)) facts.retention = await retentionFactsOf(nc, names, agents, settings.retention, Date.now());
    if (presentBuckets.has(names.buckets.memory)) {
      const stores = await storedMemoryStores(nc, names);
      facts.memory = memoryFactsOf(stores, agents.map(({ name }) => name), settings.providers ?? {});
      const agentMemory = agentMemoryFactsOf(agents, stores);
      // The store's versions are read only for agents that pin one.
      const memoryStore = agentMemory.some(({ pinned }) => pinned) ? await MemoryStore.open(nc, names) : undefined;
      facts.agentMemory = await withPinnedStates(agentMemory, async (store, version) => (await memoryStore?.version(store, version).catch(() => undefined))?.state);
    }
  }
  return facts;
}

/** The stream's shared durables; a process's own (deleted by the server once idle) come and go with it. */
async function workerPools(nc: NatsConnection, stream: string): Promise<WorkerPoolFact[]> {
  const pools: WorkerPoolFact[] = [];
  for (let offset = 0; ; ) {
    const reply = await jsApi(nc, `$JS.API.CONSUMER.LIST.${stream}`, ConsumerList, { offset });
    if (!reply.ok) throw new Error(`cannot list the consumers of ${stream}: ${reply.error.description}`);
    const page = reply.value.consumers ?? [];
    for (const consumer of page) {
      if (consumer.config.inactive_threshold > 0) continue;
      pools.push({
        stream,
        name: consumer.name,
        filter: consumer.config.filter_subject,
        waiting: consumer.num_pending,
        inProgress: consumer.num_ack_pending,
        pulls: consumer.num_waiting,
      });
    }
    offset += page.length;
    if (page.length === 0 || offset >= reply.value.total) return pools;
  }
}

async function subscribersOf(nc: NatsConnection, names: Naming, configuredPartitions: number): Promise<SubscribersFact> {
  const stream = names.streams.eventPartitions;
  const reply = await jsApi(nc, `$JS.API.STREAM.INFO.${stream}`, PartitionsInfo);
  if (!reply.ok) throw new Error(`cannot read stream ${stream}: ${reply.error.description}`);
  const sources = reply.value.config.sources?.map((source) => ({ subject_transforms: source.subject_transforms ?? [] }));
  const streamPartitions = partitionCountOf({ sources: sources ?? [] });
  return { configuredPartitions, stream, ...(streamPartitions === undefined ? {} : { streamPartitions }), durables: await workerPools(nc, stream) };
}

/** Tool-job subjects holding messages that no consumer's filter takes. */
async function unservedJobs(nc: NatsConnection, names: Naming, pools: WorkerPoolFact[]): Promise<UnservedFact[]> {
  const reply = await jsApi(nc, `$JS.API.STREAM.INFO.${names.streams.jobs}`, StreamSubjects, { subjects_filter: names.subjects.allToolJobs });
  if (!reply.ok) throw new Error(`cannot read the subjects of ${names.streams.jobs}: ${reply.error.description}`);
  const filters = pools.filter((pool) => pool.stream === names.streams.jobs).map((pool) => pool.filter);
  return Object.entries(reply.value.state.subjects ?? {})
    .filter(([subject]) => !filters.some((filter) => takes(filter, subject)))
    .map(([subject, messages]) => ({ subject, messages }));
}

/** Messages waiting on the grade jobs subject, whoever consumes it. */
async function pendingGradeJobs(nc: NatsConnection, names: Naming): Promise<number> {
  const reply = await jsApi(nc, `$JS.API.STREAM.INFO.${names.streams.jobs}`, StreamSubjects, { subjects_filter: names.subjects.gradeJobs });
  if (!reply.ok) throw new Error(`cannot read the subjects of ${names.streams.jobs}: ${reply.error.description}`);
  return reply.value.state.subjects?.[names.subjects.gradeJobs] ?? 0;
}

/** Whether a consumer filter (tokens, `*` for one, a final `>` for the rest) takes `subject`. */
function takes(filter: string, subject: string): boolean {
  const [wanted, given] = [filter.split('.'), subject.split('.')];
  for (const [index, token] of wanted.entries()) {
    if (token === '>') return given.length > index;
    if (token !== '*' && token !== given[index]) return false;
  }
  return wanted.length === given.length;
}

async function jetStreamOf(nc: NatsConnection, advertised: boolean): Promise<JetStreamFact> {
  if (!advertised) return { enabled: false, reason: 'the server does not advertise JetStream' };
  const reply = await jsApi(nc, '$JS.API.INFO', AccountInfo).catch((error: unknown): ApiResult<never> => {
    // A NATS user kept from asking is not a server without JetStream: doctor says what the user may not do.
    if (permissionRefusal(error)) throw error;
    return { ok: false, error: { code: 0, description: `the JetStream API does not answer: ${(error as Error).message}` } };
  });
  if (!reply.ok) return { enabled: false, reason: reply.error.description };
  return { enabled: true, ...reply.value };
}

type ExpectedConfig = ReturnType<typeof streamConfigs>[number];

async function streamFact(nc: NatsConnection, names: Naming, expected: ExpectedConfig): Promise<StreamFact> {
  const { name } = expected;
  const role = (Object.keys(names.streams) as StreamRole[]).find((key) => names.streams[key] === name);
  if (!role) throw new Error(`stream ${name} has no role in the naming`);
  const reply = await jsApi(nc, `$JS.API.STREAM.INFO.${name}`, StreamInfo);
  if (!reply.ok) {
    if (reply.error.err_code === streamNotFound) return { name, role, status: 'missing' };
    throw new Error(`cannot read stream ${name}: ${reply.error.description}`);
  }
  const { config, state, cluster } = reply.value;
  return {
    name,
    role,
    status: 'present',
    replicas: config.num_replicas,
    storage: config.storage,
    retention: config.retention,
    expected: { retention: String(expected.retention), storage: String(expected.storage) },
    ...(expected.allow_msg_schedules ? { schedules: config.allow_msg_schedules } : {}),
    maxMsgSize: config.max_msg_size,
    duplicateWindowMs: config.duplicate_window / nsPerMs,
    maxAgeMs: config.max_age / nsPerMs,
    messages: state.messages,
    bytes: state.bytes,
    consumers: state.consumer_count,
    ...(cluster?.leader ? { leader: cluster.leader } : {}),
    peers: cluster?.replicas ?? [],
  };
}

const streamNotFound = 10059;

/** Every stream's name, or with `subject` those whose subjects overlap it. */
async function streamNames(nc: NatsConnection, subject?: string): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const reply = await jsApi(nc, '$JS.API.STREAM.NAMES', StreamNames, { offset: names.length, ...(subject === undefined ? {} : { subject }) });
    if (!reply.ok) throw new Error(`cannot list streams: ${reply.error.description}`);
    const page = reply.value.streams ?? [];
    names.push(...page);
    if (page.length === 0 || names.length >= reply.value.total) return names;
  }
}

type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export async function jsApi<T>(nc: NatsConnection, subject: string, schema: z.ZodType<T>, body?: unknown): Promise<ApiResult<T>> {
  const message = await nc.request(subject, body === undefined ? '' : JSON.stringify(body), { timeout: 5_000 });
  const json: unknown = message.json();
  const { error } = ApiReply.parse(json);
  return error ? { ok: false, error } : { ok: true, value: schema.parse(json) };
}

/** This environment's MCP servers file and the executors' reports of their servers; undefined when there are neither. */
async function mcpFactsOf(nc: NatsConnection, names: Naming, file: string | undefined, present: ReadonlySet<string>, sealed: string[]): Promise<McpFacts | undefined> {
  const statuses = present.has(names.buckets.tools) ? await readMcpStatuses(nc, names) : [];
  if (file === undefined && statuses.length === 0) return undefined;
  const facts: McpFacts = { configured: [], statuses, sealed, checkedAt: Date.now(), ...(file ? { file } : {}) };
  if (file === undefined) return facts;
  try {
    const servers = await readMcpServersFile(file);
    facts.configured = servers.map((server) => ({ name: server.name, transport: 'command' in server ? 'stdio' : 'http', secrets: secretsOfServer(server) }));
  } catch (error) {
    facts.fileProblem = error instanceof Error ? error.message : String(error);
  }
  return facts;
}

/** The gateway's settings here, whether the console is built, and each token's scopes (never a secret: none is stored). */
async function gatewayFactsOf(nc: NatsConnection, names: Naming, settings: NonNullable<DoctorSettings['gateway']>, presentBuckets: ReadonlySet<string>): Promise<GatewayFacts> {
  const facts: GatewayFacts = { ...settings, consoleBuilt: existsSync(join(settings.consoleDir, 'index.html')) };
  if (!presentBuckets.has(names.buckets.apiTokens)) return facts;
  return { ...facts, tokenScopes: (await (await ApiTokens.open(nc, names)).list()).map(({ scopes }) => [...scopes]) };
}
