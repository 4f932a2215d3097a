import { isAtLeast, serverFeatures, serverFloor } from '@signalbox/store';
import { builtInTools, graderDurable, memoryConsolidatorDurable, type AgentDefinition } from '@signalbox/events';
import { permissionFindings, type PermissionFacts } from './doctor-permission-checks.ts';
import { judgeFindings, type JudgeFact } from './doctor-judge-checks.ts';
import { graderFindings, type GraderFact } from './doctor-grader-checks.ts';
import { vaultFindings, type VaultFacts } from './doctor-vault-checks.ts';
import { gateFindings, type GatedAgent } from './doctor-gate-checks.ts';
import { retentionFindings, type RetentionFacts } from './doctor-retention-checks.ts';
import { gatewayFindings, type GatewayFacts } from './doctor-gateway-checks.ts';
import { agentMemoryFindings, type AgentMemoryFact } from './doctor-agent-memory-checks.ts';
import { delegationFindings } from './doctor-delegation-checks.ts';
import { outputFindings } from './doctor-output-checks.ts';
import { memoryFindings, type MemoryStoreFact } from './doctor-memory-checks.ts';
import { mcpFindings, type McpFacts } from './doctor-mcp-checks.ts';
import { toolWaitLine } from './tool-waits.ts';

/**
 * The pure core of `signalbox doctor`: what was observed on the server (`DoctorFacts`) in,
 * findings out. Gathering the facts is doctor-facts.ts; printing them is doctor-report.ts.
 */

export type StreamRole = 'events' | 'eventPartitions' | 'tasks' | 'inbox' | 'jobs' | 'dlq' | 'timers' | 'workspace';

/** How the server's file store reaches the disk. Only `always` survives a power failure of a majority. */
export type SyncSetting =
  /** fsync after every write: `jetstream { sync_interval: always }`. */
  | { kind: 'always' }
  /** fsync in the background; `default` when `/varz` did not say, so the server's default applies. */
  | { kind: 'interval'; everyMs: number; source: 'reported' | 'default' }
  | { kind: 'unknown'; reason: string };

export interface ReplicaFact {
  name: string;
  current: boolean;
  offline: boolean;
}

export type StreamFact =
  | { name: string; role: StreamRole; status: 'missing' }
  | {
      name: string;
      role: StreamRole;
      status: 'present';
      replicas: number;
      storage: string;
      retention: string;
      /** What provisioning creates; retention and storage cannot change on a live stream. */
      expected: { retention: string; storage: string };
      /** For a stream that must hold message schedules (timers): whether it does. */
      schedules?: boolean;
      maxMsgSize: number;
      duplicateWindowMs: number;
      /** 0 when messages do not age out. */
      maxAgeMs: number;
      messages: number;
      bytes: number;
      consumers: number;
      leader?: string;
      /** The other copies of a replicated stream, as its leader sees them. */
      peers: ReplicaFact[];
    };

export interface BucketFact {
  name: string;
  kind: 'kv' | 'object';
  present: boolean;
}

export type JetStreamFact =
  | { enabled: true; domain?: string; memory: number; storage: number; streams: number; consumers: number }
  | { enabled: false; reason: string };

/** A shared durable consumer of a work-queue stream: a pool of workers, as the server sees it. */
export interface WorkerPoolFact {
  stream: string;
  name: string;
  filter: string;
  /** Messages waiting for the pool. */
  waiting: number;
  /** Delivered and not yet acknowledged: work in progress. */
  inProgress: number;
  /** Pull requests the server holds: workers with room for more. */
  pulls: number;
}

/** Messages on a work-queue subject that no consumer takes: tool jobs for a tool no executor has offered here. */
export interface UnservedFact {
  subject: string;
  messages: number;
}

export interface DoctorFacts {
  natsUrl: string;
  prefix: string;
  server: { version: string; id: string; name: string; maxPayload: number };
  /** Absent on a single server. `nodes` is known only when the monitoring endpoint answered. */
  cluster?: { name: string; nodes?: number };
  jetstream: JetStreamFact;
  /** Read from the monitoring endpoint (`/varz`); `node` names the server that answered. */
  sync: SyncSetting & { node?: string };
  streams: StreamFact[];
  buckets: BucketFact[];
  /** The shared consumers of the task, inbox and job streams (a process's own, deleted when idle, are left out). */
  workers: WorkerPoolFact[];
  unserved: UnservedFact[];
  subscribers: SubscribersFact;
  permissions: PermissionFacts;
  vault: VaultFacts;
  /** Stored agents whose tool calls pass the supervisor's gate. */
  gatedAgents: GatedAgent[];
  /** Stored agents' judges and whether their providers can be called here (absent before the agents bucket exists). */
  judges?: JudgeFact[];
  /** Grade jobs waiting, and the graders' durable (absent before the jobs stream exists). */
  grader?: GraderFact;
  /** Streams whose subjects take the live subjects (`<prefix>.live.*`), which no stream should keep. */
  liveCapturedBy?: string[];
  /** Retention periods and sessions kept past them (absent before the sessions index exists). */
  retention?: RetentionFacts;
  /** Stored agents with a memory store, and that store's definition (absent before the memory bucket exists). */
  agentMemory?: AgentMemoryFact[];
  /** The stored agents, for their delegations (absent before the agents bucket exists). */
  agents?: AgentDefinition[];
  /** The memory stores, checked against the stored agents and the providers here (absent before the memory bucket exists). */
  memory?: MemoryStoreFact[];
  /** MCP servers: this environment's file and the executors' reports (absent when there are neither). */
  mcp?: McpFacts;
  /** The gateway as this environment would start it. */
  gateway?: GatewayFacts;
}

/** The runtime's event subscriber: its partitions, as configured and as the stream has them, and its durables. */
export interface SubscribersFact {
  /** `SIGNALBOX_EVENT_PARTITIONS` in this environment. */
  configuredPartitions: number;
  /** The partitions stream's name, when it exists: the first event subscriber to start makes it. */
  stream?: string;
  /** From the partitions stream's subject transform; absent when the stream is missing or has none. */
  streamPartitions?: number;
  /** One durable per group and partition, `<group>-p<partition>`. */
  durables: WorkerPoolFact[];
}

/** A subscriber durable this many events behind is reported: its group is stopped, or too slow for its partitions. */
export const subscriberLagWarning = 10_000;

/** The supervisor's durables sooner: it acts while sessions run, so its lag is how late its interventions come. */
export const supervisorLagWarning = 1_000;

export type FindingLevel = 'ok' | 'warn' | 'error';

export interface Finding {
  level: FindingLevel;
  /** What was found and what to do about it. */
  message: string;
}

export function diagnose(facts: DoctorFacts): Finding[] {
  if (!facts.jetstream.enabled) {
    return [
      {
        level: 'error',
        message:
          `JetStream is not available (${facts.jetstream.reason}): Signalbox keeps every event, task and job in it. ` +
          'Start nats-server with -js (or a `jetstream {}` block in its config) and run doctor again.',
      },
    ];
  }
  const present = facts.streams.flatMap((stream) => (stream.status === 'present' ? [stream] : []));
  return [
    floorFinding(facts.server.version),
    ...missingFindings(facts),
    ...present.flatMap(driftFindings),
    ...replicationFindings(facts, present),
    ...present.flatMap(peerFindings),
    ...facts.workers.flatMap((pool) => idlePoolFindings(pool, facts.prefix)),
    ...unservedFindings(facts),
    ...subscriberFindings(facts),
    ...permissionFindings(facts.permissions),
    ...vaultFindings(facts.vault),
    ...gateFindings(facts.gatedAgents, facts.subscribers),
    ...judgeFindings(facts.judges ?? []),
    ...graderFindings(facts.grader, facts.prefix),
    ...liveFindings(facts.liveCapturedBy ?? [], facts.prefix),
    ...retentionFindings(facts.retention),
    ...agentMemoryFindings(facts.agentMemory ?? []),
    ...delegationFindings(facts.agents ?? []),
    ...outputFindings(facts.agents ?? []),
    ...memoryFindings(facts.memory ?? []),
    ...mcpFindings(facts.mcp),
    ...shadowedToolFindings(facts.workers, facts.prefix),
    ...gatewayFindings(facts.gateway),
  ];
}

/** An executor offering a tool named like one the runtime runs itself (`wait.time`, `wait.signal`): its calls never reach it. */
function shadowedToolFindings(workers: readonly WorkerPoolFact[], prefix: string): Finding[] {
  return builtInTools
    .filter((tool) => workers.some((pool) => pool.filter === `${prefix}.jobs.tool.${tool.name}`))
    .map((tool) => ({
      level: 'warn',
      message: `A tool executor offers ${tool.name}, which the runtime runs itself (decider version 9 on): no call of it reaches the executor. Rename the executor's tool.`,
    }));
}

/** Live text is a view meant to be kept nowhere: a stream that takes it stores every model's text, for whoever may read that stream. */
function liveFindings(capturedBy: readonly string[], prefix: string): Finding[] {
  return capturedBy.map((stream) => ({
    level: 'warn',
    message:
      `The stream ${stream} takes ${prefix}.live.*, where the session actor sends the models' text as it arrives: ` +
      'it keeps every model reply a second time, outside the log, for whoever may read it. Narrow its subjects so they leave out the live subjects.',
  }));
}

function subscriberFindings({ subscribers }: DoctorFacts): Finding[] {
  const { configuredPartitions: configured, streamPartitions: actual, durables, stream } = subscribers;
  const findings: Finding[] = [];
  if (stream && actual !== configured) {
    findings.push({
      level: 'error',
      message:
        `${stream} splits sessions into ${actual ?? 'no'} partitions, but SIGNALBOX_EVENT_PARTITIONS here is ${configured}: ` +
        'subscribers started with this setting skip or wait on partitions. Give every process the same value; to change it, ' +
        'stop the subscribing services, let them finish, run `signalbox init` with the new value, then start them with it.',
    });
  }
  for (const durable of durables) {
    const partition = Number(/-p(\d+)$/.exec(durable.name)?.[1]);
    if (actual !== undefined && partition >= actual) {
      findings.push({ level: 'warn', message: `${durable.name} consumes partition ${partition}, which ${stream} no longer has (it has ${actual}): delete it once its group has finished it.` });
    } else if (durable.waiting >= lagWarningOf(durable.name)) {
      const who = durable.pulls > 0 ? 'its replicas do not keep up: start more (up to one per partition)' : 'no replica of its group is consuming: start the service';
      const late = durable.name.startsWith('supervisor-p') ? ' The supervisor acts on what it has read: its interventions come that late.' : '';
      findings.push({ level: 'warn', message: `${durable.name} is ${durable.waiting} events behind and ${who}.${late}` });
    }
  }
  return findings;
}

function lagWarningOf(durable: string): number {
  return durable.startsWith('supervisor-p') ? supervisorLagWarning : subscriberLagWarning;
}

/** The one durable all executors shared before each tool had its own. */
const sharedToolDurable = 'tool-executor';

function idlePoolFindings(pool: WorkerPoolFact, prefix: string): Finding[] {
  if (pool.name === sharedToolDurable) {
    return [
      {
        level: 'warn',
        message: `${pool.name} (${pool.filter}) is the consumer tool executors shared before each tool had its own: executors of that version are running. Stop them; current ones remove it and take its jobs.`,
      },
    ];
  }
  // The graders' durable is graderFindings' to judge: its fix is a grader, not a session actor.
  if (pool.waiting === 0 || pool.pulls > 0 || pool.inProgress > 0 || pool.name === graderDurable) return [];
  if (pool.name.startsWith(`${sharedToolDurable}-`)) {
    // Worded as `tail` and `inspect` say it of a session waiting on the tool.
    const tool = pool.filter.slice(`${prefix}.jobs.tool.`.length);
    const line = toolWaitLine(tool, { pending: pool.waiting, inProgress: pool.inProgress, pulls: pool.pulls });
    return line ? [{ level: 'warn', message: `${line} (consumer ${pool.name}).` }] : [];
  }
  const start = pool.name === memoryConsolidatorDurable ? 'a memory consolidator (`signalbox run memory-consolidator`)' : 'a session actor (`signalbox run session-actor`)';
  return [{ level: 'warn', message: `${messages(pool.waiting)} for ${pool.name} (${pool.filter}), and no worker is pulling: start ${start}.` }];
}

function unservedFindings(facts: DoctorFacts): Finding[] {
  return facts.unserved.map(({ subject, messages: count }) => ({
    level: 'warn',
    message: `${messages(count)} on ${subject}, and no consumer takes that subject: start a tool executor that offers the tool.`,
  }));
}

function messages(count: number): string {
  return count === 1 ? '1 message waits' : `${count} messages wait`;
}

type PresentStream = Extract<StreamFact, { status: 'present' }>;

function missingFindings(facts: DoctorFacts): Finding[] {
  const missing = [
    ...facts.streams.filter((stream) => stream.status === 'missing').map((stream) => `stream ${stream.name}`),
    ...facts.buckets.filter((bucket) => !bucket.present).map((bucket) => `${bucket.kind === 'kv' ? 'bucket' : 'object store'} ${bucket.name}`),
  ];
  if (missing.length === 0) return [{ level: 'ok', message: `JetStream is enabled and every ${facts.prefix} stream and bucket exists.` }];
  return [
    {
      level: 'warn',
      message:
        `Missing: ${missing.join(', ')}. \`signalbox init\` makes them (as a user allowed to manage JetStream), and so does ` +
        'any Signalbox service when it starts where it may (`signalbox up` or `signalbox run <service>`); or check --prefix.',
    },
  ];
}

function driftFindings(stream: PresentStream): Finding[] {
  return [...settingDrift(stream), ...scheduleDrift(stream)];
}

function scheduleDrift(stream: PresentStream): Finding[] {
  if (stream.schedules !== false) return [];
  return [
    {
      level: 'error',
      message:
        `${stream.name} does not allow message schedules, so no timer in it will ever fire (a server before 2.12 made it, ` +
        'dropping the setting). Run `signalbox init` on the current server: it turns them on.',
    },
  ];
}

function settingDrift(stream: PresentStream): Finding[] {
  const drift = (['retention', 'storage'] as const).filter((key) => stream[key] !== stream.expected[key]);
  if (drift.length === 0) return [];
  const what = drift.map((key) => `${key} ${stream[key]} (expected ${stream.expected[key]})`).join(', ');
  return [
    {
      level: 'error',
      message: `${stream.name} has ${what}, which cannot change on a live stream. Back up what it holds, delete it, and start a service to recreate it.`,
    },
  ];
}

export interface FeatureFact {
  feature: string;
  since: string;
  usedFor: string;
  available: boolean;
}

/** Which of the server features Signalbox uses this server version has. */
export function featuresOf(version: string): FeatureFact[] {
  return serverFeatures.map((use) => ({ ...use, available: isAtLeast(version, use.since) }));
}

function floorFinding(version: string): Finding {
  if (isAtLeast(version, serverFloor)) {
    return { level: 'ok', message: `nats-server ${version} has every feature Signalbox uses (${serverFeatures.map((use) => use.feature).join(', ')}).` };
  }
  return {
    level: 'error',
    message:
      `nats-server ${version} is older than ${serverFloor}, the oldest Signalbox supports: every service and command refuses it. ` +
      `Upgrade every node to ${serverFloor}+ (in a checkout, scripts/nats-server.sh fetches a current one into .tooling/).`,
  };
}

function replicationFindings(facts: DoctorFacts, present: PresentStream[]): Finding[] {
  if (present.length === 0) return [];
  const replicated = present.filter((stream) => stream.replicas > 1);
  if (replicated.length === 0) {
    return [
      {
        level: 'ok',
        message:
          'Every stream is single-replica (R1): one copy of each. For fault tolerance run 3 nodes with `sync_interval: always` and provision with replicas 3.',
      },
    ];
  }
  const { subject, verb } = replicatedSubject(present, replicated);
  if (facts.sync.kind === 'always') {
    return [{ level: 'ok', message: `${subject} ${verb} replicated with \`sync_interval: always\`: acknowledged writes survive a majority losing power.` }];
  }
  return [
    {
      level: 'warn',
      message:
        `${subject} ${verb} replicated and the server ${describeSync(facts.sync)}. A write acknowledged by a majority of replicas can be lost ` +
        'if a majority loses power before the next fsync. Set `jetstream { sync_interval: always }` on every node' +
        (facts.sync.kind === 'unknown' ? ', or pass --monitor <url> so doctor can read it.' : '.'),
    },
  ];
}

function replicatedSubject(present: PresentStream[], replicated: PresentStream[]): { subject: string; verb: string } {
  const counts = new Set(replicated.map((stream) => stream.replicas));
  if (replicated.length === present.length && counts.size === 1) return { subject: `Every stream (R${[...counts].join('')})`, verb: 'is' };
  const list = replicated.map((stream) => `${stream.name} (R${stream.replicas})`).join(', ');
  return { subject: list, verb: replicated.length === 1 ? 'is' : 'are' };
}

function peerFindings(stream: PresentStream): Finding[] {
  const behind = stream.peers.filter((peer) => peer.offline || !peer.current);
  if (behind.length === 0) return [];
  const names = behind.map((peer) => `${peer.name} (${peer.offline ? 'offline' : 'catching up'})`).join(', ');
  return [{ level: 'warn', message: `${stream.name}: replica ${names}; until it is current the stream has less redundancy than configured.` }];
}

export function describeSync(sync: SyncSetting): string {
  switch (sync.kind) {
    case 'always':
      return 'fsyncs after every write (sync_interval: always)';
    case 'interval':
      return `fsyncs in the background every ${sync.everyMs / 1000}s (sync_interval${sync.source === 'default' ? ' not reported: the default' : ''})`;
    case 'unknown':
      return `sync_interval is unknown (${sync.reason})`;
    default: {
      const unexpected: never = sync;
      throw new Error(`unknown sync setting ${JSON.stringify(unexpected)}`);
    }
  }
}

/** What the server refused this NATS user while doctor gathered facts, and what to do about it. */
export interface RefusalFact {
  operation: 'publish' | 'subscription';
  subject: string;
  /** The inbox prefix the connection hears replies under. */
  inboxPrefix: string;
}

export function refusalFindings(refusal: RefusalFact): Finding[] {
  const { operation, subject, inboxPrefix } = refusal;
  if (operation === 'subscription' && subject.startsWith(`${inboxPrefix}.`)) {
    return [
      {
        level: 'error',
        message:
          `This NATS user may not hear replies under ${inboxPrefix} (the server refused a subscription to ${subject}). ` +
          'Set SIGNALBOX_NATS_INBOX_PREFIX (or --nats-inbox-prefix) to the prefix its subscribe permission allows: ' +
          'for a task publisher of deploy/nats/users.conf, _INBOX.<its user name>.',
      },
    ];
  }
  const verb = operation === 'publish' ? 'publish to' : 'subscribe to';
  return [
    {
      level: 'error',
      message:
        `This NATS user may not ${verb} ${subject}, and doctor reads every stream, bucket and consumer: run it as a user ` +
        'that may (signalbox-admin in deploy/nats/users.conf). The users of services and task publishers are kept to their own work on purpose.',
    },
  ];
}
