import type { NatsConnection } from '@nats-io/nats-core';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { Naming } from '@signalbox/events';

export interface ProvisionOptions {
  /** 1 on a single server; 3 on a cluster (with `sync_interval: always` on every node). */
  replicas?: number;
  /** Largest task, command or event the streams accept, in bytes. */
  maxMessageBytes?: number;
  /** Partitions the event subscriber splits sessions into (`SIGNALBOX_EVENT_PARTITIONS`). */
  eventPartitions?: number;
}

export const defaultEventPartitions = 8;
/**
 * How long the partitions stream keeps an event. A subscriber group stopped for longer resumes at the
 * oldest event kept, and reads each session's earlier events from the log itself when it next sees it.
 */
export const eventPartitionsMaxAgeMs = 7 * 24 * 3600 * 1000;
/** Room for the header the server adds to a sourced message, so the largest event still fits. */
const sourcedHeaderBytes = 4096;

/**
 * Every session's events again, each in one of `partitions` partitions chosen by hashing its session
 * id (`{{partition(n,1)}}`), so a partition holds whole sessions and one consumer per partition keeps
 * each session in order. Sourced by the server, so the append path (subject, concurrency check,
 * direct gets) is unchanged; it has no subjects of its own, so nothing else can publish into it.
 */
function eventPartitionsConfig(names: Naming, partitions: number, maxMessageBytes: number): Partial<StreamConfig> & { name: string } {
  const events = names.subjects.events('*');
  return {
    name: names.streams.eventPartitions,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: eventPartitionsMaxAgeMs * 1e6,
    max_msg_size: maxMessageBytes + sourcedHeaderBytes,
    sources: [
      {
        name: names.streams.events,
        subject_transforms: [{ src: events, dest: `${names.prefix}.partitioned.{{partition(${partitions},1)}}.{{wildcard(1)}}` }],
      },
    ],
  };
}

/** The partition count a partitions stream was made with, read back from its transform; undefined if it has none. */
export function partitionCountOf(config: { sources?: readonly { subject_transforms?: readonly { dest: string }[] }[] }): number | undefined {
  const dest = config.sources?.[0]?.subject_transforms?.[0]?.dest ?? '';
  const count = /\{\{\s*partition\(\s*(\d+)/i.exec(dest)?.[1];
  return count === undefined ? undefined : Number(count);
}

const twoMinutesNs = 2 * 60 * 1e9;
/**
 * How long a start-up request to JetStream may take: creating anything replicated (a stream, a bucket,
 * a durable consumer) waits for its Raft group to elect a leader, which can outlast the default 5 s
 * request timeout on a loaded machine or a cluster that fsyncs every write; start-up can afford to wait.
 */
export const provisionTimeoutMs = 30_000;
const thirtyDaysNs = 30 * 24 * 3600 * 1e9;

/** The streams as DESIGN.md lays them out. */
type NamedStreamConfig = Partial<StreamConfig> & { name: string };

function commonSettings(options: ProvisionOptions) {
  return {
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: twoMinutesNs,
    max_msg_size: options.maxMessageBytes ?? 1024 * 1024,
  };
}

export function streamConfigs(names: Naming, options: ProvisionOptions = {}): NamedStreamConfig[] {
  const common = commonSettings(options);
  const s = names.subjects;
  return [
    // Direct gets read a session's head without a consumer, at a cost independent of stream size.
    { ...common, name: names.streams.events, subjects: [s.allEvents], retention: RetentionPolicy.Limits, allow_direct: true },
    { ...common, name: names.streams.tasks, subjects: [s.allTasks], retention: RetentionPolicy.Workqueue },
    { ...common, name: names.streams.inbox, subjects: [s.allInbox], retention: RetentionPolicy.Workqueue },
    { ...common, name: names.streams.jobs, subjects: [s.allJobs], retention: RetentionPolicy.Workqueue },
    {
      ...common,
      name: names.streams.dlq,
      subjects: [s.allDlq],
      retention: RetentionPolicy.Limits,
      max_age: thirtyDaysNs,
      discard: DiscardPolicy.Old,
    },
    // Durable timers: message schedules fire inside the stream, cancel markers expire by themselves,
    // and the forwarder reads those markers by direct get.
    {
      ...common,
      name: names.streams.timers,
      subjects: [s.allTimers],
      retention: RetentionPolicy.Workqueue,
      allow_msg_schedules: true,
      allow_msg_ttl: true,
      allow_direct: true,
    },
    // Workspace history: every write kept, so a fork or a replay sees a run's files at any revision
    // (a batched direct get of the last write of each path up to a sequence), as long as the log is.
    { ...common, name: names.streams.workspace, subjects: [s.allWorkspace], retention: RetentionPolicy.Limits, allow_direct: true },
  ];
}

/** Creates every stream, bucket and object store, or brings existing ones to this config. Safe to run from every process. */
export async function provision(nc: NatsConnection, names: Naming, options: ProvisionOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: provisionTimeoutMs });
  const js = jetstream(nc, { timeout: provisionTimeoutMs });
  for (const config of streamConfigs(names, options)) await ensureStream(jsm, config, names);
  // A deployment that runs none of them pays nothing for the partitions stream: see provisionEventPartitions.
  if (await streamExists(jsm, names.streams.eventPartitions)) await provisionEventPartitions(nc, names, options);
  const kvm = new Kvm(js);
  const replicas = options.replicas ?? 1;
  await Promise.all(
    Object.entries(names.buckets).map(([role, bucket]) => kvm.create(bucket, { replicas, ...bucketSettings[role as keyof Naming['buckets']] })),
  );
  const objm = new Objm(js);
  await Promise.all(Object.values(names.objectStores).map((store) => objm.create(store, { replicas })));
}

/**
 * Creates the event subscriber's partitions stream, or brings it to this partition count. The first
 * subscriber to start does it (and every provision after, once it exists), so a deployment whose
 * services follow no log never stores its events twice; created late, it sources the last
 * `eventPartitionsMaxAgeMs` of the log, what it would have kept anyway.
 */
export async function provisionEventPartitions(nc: NatsConnection, names: Naming, options: ProvisionOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: provisionTimeoutMs });
  const common = commonSettings(options);
  const config = { ...common, ...eventPartitionsConfig(names, options.eventPartitions ?? defaultEventPartitions, common.max_msg_size) };
  await ensureStream(jsm, config, names);
}

export async function streamExists(jsm: JetStreamManager, stream: string): Promise<boolean> {
  try {
    await jsm.streams.info(stream);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return false;
    throw error;
  }
}

const sevenDaysMs = 7 * 24 * 3600 * 1000;
/** How long an event subscriber replica counts as alive after its last renewal. */
export const subscriberEntryTtlMs = 5_000;

/** Snapshots need only the latest value; ledger entries matter only while a call can still be redelivered. */
const bucketSettings: Record<keyof Naming['buckets'], { history: number; ttl?: number }> = {
  agents: { history: 5 },
  tools: { history: 5 },
  policies: { history: 5 },
  memory: { history: 5 },
  sessions: { history: 1 },
  snapshots: { history: 1 },
  transcripts: { history: 1 },
  secrets: { history: 5 },
  toolLedger: { history: 1, ttl: sevenDaysMs },
  // A subscriber replica renews its entry every second; one that stops is gone from the bucket after this.
  subscribers: { history: 1, ttl: subscriberEntryTtlMs },
  references: { history: 1 },
  apiTokens: { history: 1 },
  evals: { history: 1 },
};

async function ensureStream(jsm: JetStreamManager, config: NamedStreamConfig, names: Naming): Promise<void> {
  let existing: StreamConfig;
  try {
    existing = (await jsm.streams.info(config.name)).config;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add(config.name === names.streams.eventPartitions ? sourcingFrom(config, Date.now() - eventPartitionsMaxAgeMs) : config);
    return;
  }
  // Retention and storage cannot change on a live stream; everything else is brought up to date.
  const { name, retention: _retention, storage: _storage, ...changeable } = config;
  await jsm.streams.update(name, name === names.streams.eventPartitions ? partitionsUpdate(existing, changeable) : changeable);
}

/**
 * The server names a source by its filter and transform, so a changed transform is a new source that
 * would copy the whole log again from its start (10 events became 20). The partitions stream
 * therefore keeps its source as it is while the partition count stays, and a new count's source
 * starts a few seconds back (in event-partitions.test.ts nothing already copied was copied again).
 * A new stream sources the last `eventPartitionsMaxAgeMs` of the log, what it would have kept anyway.
 */
function partitionsUpdate(existing: StreamConfig, wanted: Partial<StreamConfig>): Partial<StreamConfig> {
  if (partitionCountOf(existing) === partitionCountOf({ sources: wanted.sources ?? [] })) return { ...wanted, sources: existing.sources };
  return sourcingFrom(wanted, Date.now() - repartitionOverlapMs);
}

const repartitionOverlapMs = 5_000;

function sourcingFrom<C extends Partial<StreamConfig>>(config: C, startMs: number): C {
  return { ...config, sources: config.sources?.map((source) => ({ ...source, opt_start_time: new Date(startMs).toISOString() })) };
}
